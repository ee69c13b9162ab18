/**
 * `tempohook dev` (what `npm start` runs): a Temporal dev server (SQLite under the data dir,
 * Web UI on 8233), the store (embedded PGlite unless DATABASE_URL), the example worker, the
 * ingress on PORT, and the example resources — then a curl that works as pasted. Ctrl-C
 * stops all of it.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { parseEnv } from '../config/env';
import { createLogger } from '../logger';
import { loadOrCreateDevAdminToken } from '../runtime/admin-token';
import { applyExampleResources } from '../runtime/example-resources';
import { startIngress } from '../runtime/ingress-runtime';
import { startProcessTracing } from '../runtime/tracing';
import { createCleanupStack, waitForShutdownSignal } from '../runtime/shutdown';
import { devBanner } from '../runtime/walkthrough';
import { createStore } from '../store';
import { startEmbeddedPostgres } from '../store/embedded-postgres';
import { resolveTemporalCli } from '../temporal/cli-binary';
import { connectTemporal, nativeConnectionOptions, type TemporalConnectionConfig } from '../temporal/connection';
import { ensureSearchAttributes, startDevServer } from '../temporal/dev-server';
import { createExampleWorker } from '../worker/example-worker';
import { tempohookSearchAttributes } from '../workflows/definitions';
import { createCliContext, runReported, type CliContext } from './api-client';
import { commandFlags, HELP_OPTION } from './args';
import { temporalConfigFromEnv } from './ingress-command';

const DEV_TEMPORAL_PORT = 7233;
const DEV_UI_PORT = 8233;

export const DEV_USAGE = `Usage: tempohook dev

Runs everything on this machine for development (what \`npm start\` runs): a Temporal dev server
(SQLite under TEMPOHOOK_DATA_DIR, Web UI on :8233) unless TEMPORAL_ADDRESS or TEMPORAL_PROFILE
names another, PostgreSQL embedded (PGlite) unless DATABASE_URL is set, the example worker, the
ingress on PORT and the example resources; then prints a curl that works as pasted. Ctrl-C stops
all of it. Environment variables: docs/configuration.md.

Options:
  -h, --help             this help
`;

export async function devCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    return commandFlags(ctx, argv, HELP_OPTION, 'dev', DEV_USAGE) ? runDev() : 0;
  });
}

async function runDev(): Promise<number> {
  const env = parseEnv();
  const logger = createLogger({ level: env.TEMPOHOOK_LOG_LEVEL, base: { process: 'dev' } });
  // The SDK's own info logs (webpack stats, worker state) would bury the banner.
  Runtime.install({ logger: new DefaultLogger(env.TEMPOHOOK_LOG_LEVEL === 'debug' ? 'INFO' : 'WARN') });
  const dataDir = path.resolve(env.TEMPOHOOK_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  const cleanup = createCleanupStack((step, err) =>
    logger.error('shutdown step failed', { step, error: (err as Error).message }),
  );

  try {
    // A local dev server unless TEMPORAL_ADDRESS or TEMPORAL_PROFILE names another: a default
    // profile in ~/.config/temporalio (a Cloud one, say) must not redirect `npm start`.
    const remote = Boolean(env.TEMPORAL_ADDRESS || env.TEMPORAL_PROFILE);
    const config: TemporalConnectionConfig & { address: string; namespace: string } = remote
      ? temporalConfigFromEnv(env)
      : { address: '', namespace: env.TEMPORAL_NAMESPACE };
    let uiUrl: string | undefined;
    if (remote) {
      logger.info('using the Temporal server of TEMPORAL_ADDRESS / TEMPORAL_PROFILE', { address: config.address });
    } else {
      const cli = await resolveTemporalCli({ logger });
      logger.info('starting the Temporal dev server', { cli: cli.path, source: cli.source });
      const server = await startDevServer({
        cliPath: cli.path,
        port: DEV_TEMPORAL_PORT,
        uiPort: DEV_UI_PORT,
        dbFilename: path.join(dataDir, 'temporal.db'),
        logger,
      });
      cleanup.push('temporal dev server', () => server.stop());
      config.address = server.address;
      uiUrl = server.uiUrl;
    }

    const tracing = await startProcessTracing(process.env, logger);
    if (tracing) cleanup.push('tracing', () => tracing.shutdown());
    const temporal = await connectTemporal(config, tracing ? { interceptors: tracing.clientInterceptors } : {});
    cleanup.push('temporal connection', () => temporal.connection.close());
    if (remote) await ensureSearchAttributes(temporal.connection, config.namespace, tempohookSearchAttributes);

    let databaseUrl = env.DATABASE_URL;
    let storeDescription = `PostgreSQL (${redactUrl(databaseUrl ?? '')})`;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pglite') });
      cleanup.push('embedded postgres', () => embedded.stop());
      databaseUrl = embedded.url;
      storeDescription = `embedded PGlite in ${path.join(dataDir, 'pglite')} (set DATABASE_URL to use PostgreSQL)`;
    }
    const store = await createStore({
      databaseUrl,
      ...(env.TEMPOHOOK_SECRET_KEY ? { encryptionKey: env.TEMPOHOOK_SECRET_KEY } : {}),
    });
    cleanup.push('store', () => store.close());

    const webhooks = await applyExampleResources(store, logger);

    const workerConnection = await NativeConnection.connect(await nativeConnectionOptions(config));
    cleanup.push('worker connection', () => workerConnection.close());
    const worker = await createExampleWorker({ connection: workerConnection, namespace: config.namespace, store });
    const workerRun = worker.run();
    cleanup.push('example worker', async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
    });

    const admin = env.TEMPOHOOK_ADMIN_TOKEN
      ? { token: env.TEMPOHOOK_ADMIN_TOKEN, generated: false }
      : await loadOrCreateDevAdminToken(dataDir);
    const ingress = await startIngress({
      env,
      store,
      client: temporal.client,
      logger,
      adminToken: admin.token,
      ...(tracing ? { tracing: tracing.delivery } : {}),
      ...(uiUrl ? { temporalUiUrl: uiUrl } : {}),
    });
    cleanup.push('ingress', () => ingress.close());

    const generic = webhooks.find((w) => w.name === 'weekly-report');
    const exampleSecret = (await store.secrets.get('default', 'example-secret'))?.data.value;
    process.stdout.write(
      devBanner({
        ingressUrl: env.TEMPOHOOK_PUBLIC_URL ?? ingress.url,
        temporalAddress: config.address,
        ...(uiUrl ? { uiUrl } : {}),
        adminToken: admin.token,
        adminTokenGenerated: !env.TEMPOHOOK_ADMIN_TOKEN,
        ...(generic ? { genericEndpointPath: `/v1/webhook-deliveries/${generic.endpointId}` } : {}),
        ...(exampleSecret ? { exampleSecret } : {}),
        storeDescription,
      }) + '\n',
    );

    const signal = await Promise.race([waitForShutdownSignal(), workerRun.then(() => 'worker-stopped' as const)]);
    logger.info('shutting down', { reason: signal });
  } finally {
    await cleanup.run();
  }
  return 0;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
