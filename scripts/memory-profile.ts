/**
 * What holds the memory of the `tempohook dev` process (`npm start`), the Temporal dev server
 * aside: builds the same parts in the same order, in one process, and prints
 * process.memoryUsage() after each, then after 1,000 deliveries the example worker runs, and
 * after a full GC.
 *
 *   node --expose-gc --import tsx scripts/memory-profile.ts [--deliveries 1000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { parseEnv } from '../src/config/env';
import { silentLogger } from '../src/logger';
import { applyExampleResources } from '../src/runtime/example-resources';
import { startIngress } from '../src/runtime/ingress-runtime';
import { createStore } from '../src/store';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres';
import { resolveTemporalCli } from '../src/temporal/cli-binary';
import { connectTemporal, nativeConnectionOptions } from '../src/temporal/connection';
import { startDevServer } from '../src/temporal/dev-server';
import { createExampleWorker } from '../src/worker/example-worker';
import { signedHeaders } from '../test/support/hostile-requests';

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
let previous = 0;
function report(step: string) {
  const m = process.memoryUsage();
  const line = `${step.padEnd(48)} rss ${String(mb(m.rss)).padStart(5)} MB (${m.rss >= previous ? '+' : ''}${mb(m.rss - previous)})  heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB  external ${mb(m.external)} MB  arrayBuffers ${mb(m.arrayBuffers)} MB`;
  previous = m.rss;
  process.stdout.write(`${line}\n`);
}

async function main() {
  const deliveries = Number(process.argv[process.argv.indexOf('--deliveries') + 1]) || 1000;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  report('node + tsx + modules loaded');
  const cli = await resolveTemporalCli({ logger: silentLogger });
  const server = await startDevServer({ cliPath: cli.path, port: 0, headless: true, logger: silentLogger });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempohook-memory-'));
  try {
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pglite'), logger: silentLogger });
    const store = await createStore({ databaseUrl: embedded.url, logger: silentLogger });
    report('embedded PGlite, migrated');
    const config = { address: server.address, namespace: 'default' };
    const temporal = await connectTemporal(config);
    report('Temporal client connection');
    const webhooks = await applyExampleResources(store, silentLogger);
    const workerConnection = await NativeConnection.connect(await nativeConnectionOptions(config));
    report('worker native connection (Rust core)');
    const worker = await createExampleWorker({ connection: workerConnection, namespace: 'default', store });
    report('worker created (workflow bundle built by webpack)');
    const workerRun = worker.run();
    const env = parseEnv({ PORT: '0', TEMPOHOOK_LOG_LEVEL: 'error' });
    const ingress = await startIngress({
      env,
      store,
      client: temporal.client,
      logger: silentLogger,
      adminToken: 'memory-profile-token-0123456789',
    });
    report('ingress listening');

    const generic = webhooks.find((w) => w.name === 'weekly-report')!;
    const secret = (await store.secrets.get('default', 'example-secret'))!.data.value!;
    let sent = 0;
    const send = async () => {
      while (sent < deliveries) {
        const body = JSON.stringify({ report: 'weekly', n: sent });
        const res = await fetch(`${ingress.url}/v1/webhook-deliveries/${generic.endpointId}`, {
          method: 'POST',
          headers: signedHeaders(secret, body, `memory-${sent++}-${Date.now()}`),
          body,
        });
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 16 }, send));
    await new Promise((resolve) => setTimeout(resolve, 5000));
    report(`after ${deliveries} deliveries (runs on the worker)`);
    (globalThis as { gc?: () => void }).gc?.();
    report('after a full GC');

    await ingress.close();
    worker.shutdown();
    await workerRun;
    await workerConnection.close();
    await temporal.connection.close();
    await store.close();
    await embedded.stop();
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
