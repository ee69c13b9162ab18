/** The example worker `npm start` runs: `weeklyReport` on task queue `tempohook-examples`. */
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createExampleActivities } from '../examples/activities';
import { EXAMPLES_TASK_QUEUE } from '../workflows/definitions';
import type { Registry } from '../metrics';
import type { Store } from '../store/types';
import { TempohookPlugin } from './plugin';

export async function createExampleWorker(options: {
  connection: NativeConnection;
  namespace: string;
  taskQueue?: string;
  /** A prebuilt bundle (tests); otherwise the worker bundles the example workflows itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The ingress's database, for waitForWebhook and notifications: an open store, or its URL. */
  store?: Store;
  databaseUrl?: string;
  /** Records notification metrics there (TempohookPlugin's `metrics`). */
  metrics?: Registry;
}): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? EXAMPLES_TASK_QUEUE,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../examples/workflows') }),
    plugins: [
      new TempohookPlugin({
        activities: createExampleActivities(),
        ...(options.store ? { store: options.store } : {}),
        ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
        ...(options.metrics ? { metrics: options.metrics } : {}),
      }),
    ],
  });
}
