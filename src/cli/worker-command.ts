/** `tempohook worker`: the example worker (weeklyReport on tempohook-examples). */
import { parseArgs } from 'node:util';
import { NativeConnection } from '@temporalio/worker';
import { parseEnv } from '../config/env';
import { createLogger } from '../logger';
import { createStore } from '../store';
import { createExampleWorker } from '../worker/example-worker';
import { EXAMPLES_TASK_QUEUE } from '../workflows/definitions';
import { nativeConnectionOptions } from '../temporal/connection';
import { temporalConfigFromEnv } from './ingress-command';

export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'task-queue': { type: 'string', default: EXAMPLES_TASK_QUEUE } },
  });
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
  try {
    const worker = await createExampleWorker({
      connection,
      namespace: config.namespace,
      taskQueue: values['task-queue'],
      ...(store ? { store } : {}),
    });
    logger.info('worker running', {
      taskQueue: values['task-queue'],
      address: config.address,
      notifications: Boolean(store),
      waits: Boolean(store),
    });
    // The worker stops itself on SIGINT/SIGTERM and drains in-flight tasks.
    await worker.run();
  } finally {
    await connection.close();
    await store?.close();
  }
  return 0;
}
