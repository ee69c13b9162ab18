/**
 * The HTTP servers the ingress bench loads, each started in a process of its own by
 * ingress-throughput.ts (`tsx bench/http-servers.ts glue|ingress`, options as JSON in
 * BENCH_SERVER). Prints one JSON line `{url, path}` when ready; exits on SIGTERM. Asked `cpu` over
 * the IPC channel, answers its cumulative CPU counters (cpu-usage.ts): its own, and for the
 * ingress on PostgreSQL its pool's backends.
 *
 * - `glue`: what a user writes instead of tempohook, ~20 lines of Express: `express.raw()`, HMAC-SHA256
 *   over `ts.body` with `timingSafeEqual`, `client.workflow.start` with the event id as workflow id
 *   (an already-started id answered 200).
 * - `ingress`: `tempohook ingress` as `startIngress` builds it, on PostgreSQL (a schema of its own) or on
 *   the embedded PGlite that `npm start` runs in the same process.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import express from 'express';
import { parseEnv } from '../src/config/env';
import { silentLogger } from '../src/logger';
import { startIngress } from '../src/runtime/ingress-runtime';
import { createStore, startEmbeddedPostgres } from '../src/store';
import { connectTemporal } from '../src/temporal/connection';
import { listen } from '../src/ingress/server';
import { createCpuCounters } from './cpu-usage';

export interface BenchServerOptions {
  kind: 'glue' | 'ingress';
  temporalAddress: string;
  taskQueue: string;
  secret: string;
  /** ingress: a PostgreSQL URL, or 'embedded' for PGlite in this process. */
  database?: string;
  schema?: string;
}

async function main() {
  const options = JSON.parse(process.env.BENCH_SERVER ?? '{}') as BenchServerOptions;
  const cleanups: Array<() => Promise<unknown>> = [];
  const temporal = await connectTemporal({ address: options.temporalAddress, namespace: 'default' });
  cleanups.push(() => temporal.connection.close());
  let ready: { url: string; path: string };
  let backendPids = (): number[] => [];
  if (options.kind === 'glue') {
    const app = express();
    const key = Buffer.from(options.secret);
    app.post('/hook', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
      const ts = req.get('x-timestamp') ?? '';
      const eventId = req.get('x-event-id') ?? '';
      const given = Buffer.from((req.get('x-signature') ?? '').replace(/^sha256=/, ''), 'hex');
      const body = req.body as Buffer;
      const expected = createHmac('sha256', key).update(`${ts}.`).update(body).digest();
      if (!eventId || given.length !== expected.length || !timingSafeEqual(given, expected))
        return void res.status(401).end();
      try {
        await temporal.client.workflow.start('weeklyReport', {
          taskQueue: options.taskQueue,
          workflowId: eventId,
          args: [{ webhook_payload: JSON.parse(body.toString('utf8')) as unknown }],
        });
        res.status(202).json({ accepted: true });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return void res.status(200).json({ duplicate: true });
        res.status(503).end();
      }
    });
    const server = await listen(app, 0);
    cleanups.push(() => server.close());
    ready = { url: server.url, path: '/hook' };
  } else {
    let databaseUrl = options.database ?? 'postgres://root@127.0.0.1:5432/test';
    if (databaseUrl === 'embedded') {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempohook-bench-pglite-'));
      const embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pglite'), logger: silentLogger });
      cleanups.push(async () => {
        await embedded.stop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      });
      databaseUrl = embedded.url;
    }
    const store = await createStore({ databaseUrl, ...(options.schema ? { schema: options.schema } : {}) });
    cleanups.push(async () => {
      if (options.schema) await store.db.query(`DROP SCHEMA IF EXISTS ${options.schema} CASCADE`);
      await store.close();
    });
    if (options.database !== 'embedded') {
      // pg's Client learns its backend's pid at connect (BackendKeyData); the pool keeps its clients there.
      const pool = store.db as unknown as { _clients?: Array<{ processID?: number | null }> };
      backendPids = () => (pool._clients ?? []).flatMap((c) => (c.processID ? [c.processID] : []));
    }
    await store.secrets.put('default', 'bench-secret', { value: options.secret });
    const { webhook } = await store.webhooks.apply('default', 'bench', {
      profile: 'generic',
      secretRef: { name: 'bench-secret', key: 'value' },
      start: { workflowType: 'weeklyReport', taskQueue: options.taskQueue },
    });
    const env = parseEnv({ PORT: '0', DATABASE_URL: databaseUrl, TEMPOHOOK_LOG_LEVEL: 'error' });
    const ingress = await startIngress({
      env,
      store,
      client: temporal.client,
      logger: silentLogger,
      adminToken: 'bench-admin-token-0123456789',
    });
    cleanups.push(() => ingress.close());
    ready = { url: ingress.url, path: `/v1/webhook-deliveries/${webhook.endpointId}` };
  }
  const cpu = createCpuCounters(backendPids);
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.(cpu.read());
  });
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  cpu.stop();
  process.removeAllListeners('message');
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
