/**
 * An ingress in a process of its own, so a test can SIGKILL it right after an answer (see
 * `spawnIngress`). Run as a script it reads TEMPORAL_ADDRESS (like every test), DATABASE_URL and
 * TEMPOHOOK_TEST_SCHEMA (the test's store), and prints its URL once it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createApp } from '../../src/ingress/app';
import type { DeliveryReplayer } from '../../src/ingress/delivery';
import { startReplayJobRunner } from '../../src/ingress/replay-jobs';
import { listen } from '../../src/ingress/server';
import { silentLogger } from '../../src/logger';
import { createStore } from '../../src/store';
import { TEST_ADMIN_TOKEN } from './ingress';
import { getTestTemporal } from './temporal';

export interface IngressProcess {
  child: ChildProcess;
  url: string;
  /** SIGKILL: nothing in flight or in the background finishes; resolves once the process is gone. */
  kill(): Promise<void>;
}

export async function spawnIngress(options: {
  databaseUrl: string;
  schema: string;
  /** Runs bulk replay jobs, with this lease (a killed process loses its job this long after). */
  replayLeaseMs?: number;
}): Promise<IngressProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename], {
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      TEMPOHOOK_TEST_SCHEMA: options.schema,
      ...(options.replayLeaseMs ? { TEMPOHOOK_TEST_REPLAY_LEASE_MS: String(options.replayLeaseMs) } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = /^(http:\/\/\S+)\n/m.exec(buffered);
      if (line) resolve(line[1]!);
    });
    child.once('exit', (code) => reject(new Error(`ingress process exited (${code}) before it listened: ${output}`)));
  });
  return {
    child,
    url,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const { DATABASE_URL: databaseUrl, TEMPOHOOK_TEST_SCHEMA: schema } = process.env;
  if (!databaseUrl || !schema) throw new Error('DATABASE_URL and TEMPOHOOK_TEST_SCHEMA are required');
  const temporal = await getTestTemporal();
  const store = await createStore({ databaseUrl, schema, logger: silentLogger });
  const app = createApp({ store, client: temporal.client, logger: silentLogger, adminToken: TEST_ADMIN_TOKEN });
  const server = await listen(app, 0);
  const leaseMs = Number(process.env.TEMPOHOOK_TEST_REPLAY_LEASE_MS);
  if (leaseMs > 0) {
    const runner = startReplayJobRunner({
      store,
      replayer: app.locals.replayDelivery as DeliveryReplayer,
      logger: silentLogger,
      client: temporal.client,
      temporalTimeoutMs: 3000,
      leaseMs,
      pollMs: 200,
    });
    app.locals.wakeReplayRunner = () => runner.wake();
  }
  process.stdout.write(`${server.url}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
