/** `tempohook worker`: the example worker (weeklyReport on tempohook-examples). */
import { NativeConnection } from '@temporalio/worker';
import { parseEnv } from '../config/env';
import { createLogger } from '../logger';
import { createStore } from '../store';
import { processRegistry, serveMetrics, type MetricsServer } from '../runtime/metrics-server';
import { createExampleWorker } from '../worker/example-worker';
import { EXAMPLES_TASK_QUEUE } from '../workflows/definitions';
import { nativeConnectionOptions } from '../temporal/connection';
import { createCliContext, runReported, type CliContext } from './api-client';
import { commandFlags, HELP_OPTION } from './args';
import { temporalConfigFromEnv } from './ingress-command';

export const WORKER_USAGE = `Usage: tempohook worker [--task-queue Q]

A Temporal worker running tempohook's example workflows with TempohookPlugin (waitForWebhook and
lifecycle notifications need DATABASE_URL, the ingress's PostgreSQL). Your own workers add the
plugin instead: docs/configuration.md. With TEMPOHOOK_METRICS_PORT set, serves Prometheus metrics
at /metrics on that port. Stops on SIGINT or SIGTERM after in-flight tasks.

Options:
      --task-queue Q     the task queue to poll (default "${EXAMPLES_TASK_QUEUE}")
  -h, --help             this help
`;

const WORKER_OPTIONS = { 'task-queue': { type: 'string', default: EXAMPLES_TASK_QUEUE }, ...HELP_OPTION } as const;

export async function workerCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    const values = commandFlags(ctx, argv, WORKER_OPTIONS, 'worker', WORKER_USAGE);
    return values ? runWorker(values['task-queue']) : 0;
  });
}

async function runWorker(taskQueue: string): Promise<number> {
  const env = parseEnv();
  const logger = createLogger({ level: env.TEMPOHOOK_LOG_LEVEL, base: { process: 'worker' } });
  const config = temporalConfigFromEnv(env);
  // waitForWebhook and lifecycle notifications need the store; without DATABASE_URL notifications are off and waits fail.
  const store = env.DATABASE_URL
    ? await createStore({
        databaseUrl: env.DATABASE_URL,
        logger,
        ...(env.TEMPOHOOK_SECRET_KEY ? { encryptionKey: env.TEMPOHOOK_SECRET_KEY } : {}),
      })
    : undefined;
  if (!store)
    logger.warn(
      'DATABASE_URL is not set: lifecycle notifications are off, and workflows calling waitForWebhook will fail until the worker can reach the ingress database',
    );
  const connection = await NativeConnection.connect(await nativeConnectionOptions(config));
  let metricsServer: MetricsServer | undefined;
  try {
    const metrics = processRegistry();
    const worker = await createExampleWorker({
      connection,
      namespace: config.namespace,
      taskQueue,
      metrics,
      ...(store ? { store } : {}),
    });
    if (env.TEMPOHOOK_METRICS_PORT !== undefined)
      metricsServer = await serveMetrics(metrics, env.TEMPOHOOK_METRICS_PORT, env.TEMPOHOOK_METRICS_HOST ?? env.HOST);
    logger.info('worker running', {
      taskQueue,
      address: config.address,
      notifications: Boolean(store),
      waits: Boolean(store),
      ...(metricsServer ? { metrics: metricsServer.url } : {}),
    });
    // The worker stops itself on SIGINT/SIGTERM and drains in-flight tasks.
    await worker.run();
  } finally {
    await metricsServer?.close();
    await connection.close();
    await store?.close();
  }
  return 0;
}
