/**
 * A worker with TempohookPlugin in a process of its own, so a test can SIGKILL it mid-delivery
 * (see `spawnNotificationWorker`). Run as a script it reads TEMPORAL_ADDRESS and
 * TEMPOHOOK_TEST_BUNDLE (like every test), DATABASE_URL plus TEMPOHOOK_TEST_SCHEMA (the test's
 * store) and TEMPOHOOK_TEST_TASK_QUEUE, and prints `ready` once it polls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Worker } from '@temporalio/worker';
import { silentLogger } from '../../src/logger';
import { createStore } from '../../src/store';
import { testPlugin } from './notifications';
import { getTestTemporal } from './temporal';

const READY = 'ready';

export interface WorkerProcess {
  child: ChildProcess;
  /** SIGKILL: no shutdown, no goodbye to the server; resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Starts the worker process on `taskQueue` against the test store's schema; resolves once it polls. */
export async function spawnNotificationWorker(options: {
  databaseUrl: string;
  schema: string;
  taskQueue: string;
}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename], {
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      TEMPOHOOK_TEST_SCHEMA: options.schema,
      TEMPOHOOK_TEST_TASK_QUEUE: options.taskQueue,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(READY)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker process exited (${code}) before it was ready: ${output}`)));
  });
  return {
    child,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const {
    DATABASE_URL: databaseUrl,
    TEMPOHOOK_TEST_SCHEMA: schema,
    TEMPOHOOK_TEST_TASK_QUEUE: taskQueue,
  } = process.env;
  if (!databaseUrl || !schema || !taskQueue)
    throw new Error('DATABASE_URL, TEMPOHOOK_TEST_SCHEMA and TEMPOHOOK_TEST_TASK_QUEUE are required');
  const temporal = await getTestTemporal();
  const store = await createStore({ databaseUrl, schema, logger: silentLogger });
  const worker = await Worker.create({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue,
    workflowBundle: temporal.workflowBundle,
    // Tasks the server already routed to this (soon dead) worker's sticky queue move to the
    // shared queue after this long instead of the default 10 s.
    stickyQueueScheduleToStartTimeout: '1 second',
    plugins: [testPlugin(store)],
  });
  const running = worker.run();
  process.stdout.write(`${READY}\n`);
  await running;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
