/**
 * The Temporal every test file shares: the one dev server and the one workflow bundle that
 * `npm test` (scripts/run-tests.ts) provides through TEMPORAL_ADDRESS and TEMPOHOOK_TEST_BUNDLE.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { TempohookError } from '../../src/errors';
import { temporalConnectionOptions } from '../../src/temporal/connection';
import { createExampleWorker } from '../../src/worker/example-worker';

export interface TestTemporal {
  address: string;
  namespace: string;
  /** For clients and operator calls. */
  connection: Connection;
  client: Client;
  /** For `Worker.create({ connection: nativeConnection, … })`. */
  nativeConnection: NativeConnection;
  /** For `Worker.create({ workflowBundle, … })`: the bundle of test/support/workflows.ts. */
  workflowBundle: { codePath: string };
}

let current: Promise<TestTemporal> | undefined;

/** The shared server's connections and bundle, opened once per test process. */
export function getTestTemporal(): Promise<TestTemporal> {
  current ??= open().catch((err: unknown) => {
    current = undefined;
    throw err;
  });
  return current;
}

async function open(): Promise<TestTemporal> {
  const address = process.env.TEMPORAL_ADDRESS;
  const codePath = process.env.TEMPOHOOK_TEST_BUNDLE;
  if (!address || !codePath) {
    throw new TempohookError(
      'test_harness_missing',
      `${!address ? 'TEMPORAL_ADDRESS' : 'TEMPOHOOK_TEST_BUNDLE'} is not set: run tests with \`npm test\` ` +
        `(or \`npx tsx scripts/run-tests.ts test/FILE.test.ts\`), which starts one Temporal dev server and bundles the test workflows once.`,
      500,
    );
  }
  if (!existsSync(codePath)) {
    throw new TempohookError(
      'test_harness_missing',
      `TEMPOHOOK_TEST_BUNDLE=${codePath} does not exist: run tests with \`npm test\`.`,
      500,
    );
  }
  quietSdkLogs();
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const options = await temporalConnectionOptions({
    address,
    namespace,
    apiKey: process.env.TEMPORAL_API_KEY,
    tlsCertPath: process.env.TEMPORAL_TLS_CERT_PATH,
    tlsKeyPath: process.env.TEMPORAL_TLS_KEY_PATH,
    tlsCaPath: process.env.TEMPORAL_TLS_CA_PATH,
  });
  const connection = await Connection.connect(options);
  const nativeConnection = await NativeConnection.connect(options);
  return {
    address,
    namespace,
    connection,
    client: new Client({ connection, namespace }),
    nativeConnection,
    workflowBundle: { codePath },
  };
}

/** Worker lifecycle lines at INFO drown the test output; keep warnings and errors. */
function quietSdkLogs(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // A test file installed its own Runtime first; leave it.
  }
}

/** Closes this process's connections (optional: they do not keep a test process alive). */
export async function closeTestTemporal(): Promise<void> {
  const pending = current;
  current = undefined;
  if (!pending) return;
  const t = await pending.catch(() => undefined);
  if (!t) return;
  await Promise.allSettled([t.connection.close(), t.nativeConnection.close()]);
}

/** A task queue no other test (or earlier run against the same server) uses. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Runs the example worker (weeklyReport) on `taskQueue` with the shared bundle until `stop()`. */
export async function startExampleTestWorker(taskQueue: string): Promise<{ stop(): Promise<void> }> {
  const temporal = await getTestTemporal();
  const worker = await createExampleWorker({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue,
    workflowBundle: temporal.workflowBundle,
  });
  const running = worker.run();
  return {
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    },
  };
}
