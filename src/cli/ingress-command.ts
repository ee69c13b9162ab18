/** `tempohook ingress`: the production ingress process (stateless; run as many as you like). */
import { parseEnv } from '../config/env';
import { TempohookError } from '../errors';
import { createLogger } from '../logger';
import { startIngress } from '../runtime/ingress-runtime';
import { startProcessTracing } from '../runtime/tracing';
import { createCleanupStack, waitForShutdownSignal } from '../runtime/shutdown';
import { createStore } from '../store';
import { connectTemporal, loadTemporalProfile, type TemporalConnectionConfig } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/dev-server';
import { tempohookSearchAttributes } from '../workflows/definitions';
import { createCliContext, runReported, type CliContext } from './api-client';
import { commandFlags, HELP_OPTION } from './args';

export const INGRESS_USAGE = `Usage: tempohook ingress

The webhook ingress for production: the delivery endpoints, the management API under /v1/,
/healthz, /readyz and Prometheus /metrics, on HOST:PORT; one access log line per delivery.
Stateless: run as many as you need behind a load balancer. Needs DATABASE_URL and
TEMPOHOOK_ADMIN_TOKEN; reaches Temporal as TEMPORAL_ADDRESS or a Temporal CLI profile says.
Environment variables: docs/configuration.md.

Options:
  -h, --help             this help
`;

export async function ingressCommand(argv: string[], ctx: CliContext = createCliContext()): Promise<number> {
  return runReported(ctx, async () => {
    return commandFlags(ctx, argv, HELP_OPTION, 'ingress', INGRESS_USAGE) ? runIngress() : 0;
  });
}

async function runIngress(): Promise<number> {
  const env = parseEnv();
  const logger = createLogger({ level: env.TEMPOHOOK_LOG_LEVEL, base: { process: 'ingress' } });
  if (!env.TEMPOHOOK_ADMIN_TOKEN)
    throw new TempohookError(
      'admin_token_missing',
      'Set TEMPOHOOK_ADMIN_TOKEN (at least 16 characters) to protect the management API.',
    );
  if (!env.DATABASE_URL)
    throw new TempohookError(
      'database_url_missing',
      'Set DATABASE_URL to a PostgreSQL database (postgres://user:pass@host:5432/db). `tempohook dev` runs an embedded one for development.',
    );

  const cleanup = createCleanupStack((step, err) =>
    logger.error('shutdown step failed', { step, error: (err as Error).message }),
  );
  try {
    const store = await createStore({
      databaseUrl: env.DATABASE_URL,
      ...(env.TEMPOHOOK_SECRET_KEY ? { encryptionKey: env.TEMPOHOOK_SECRET_KEY } : {}),
    });
    cleanup.push('store', () => store.close());
    const config = temporalConfigFromEnv(env);
    const tracing = await startProcessTracing(process.env, logger);
    if (tracing) cleanup.push('tracing', () => tracing.shutdown());
    const temporal = await connectTemporal(config, tracing ? { interceptors: tracing.clientInterceptors } : {});
    cleanup.push('temporal connection', () => temporal.connection.close());
    // Every start sets tempohook's search attributes; a server without them rejects the start.
    await ensureSearchAttributes(temporal.connection, config.namespace, tempohookSearchAttributes).catch(
      (err: unknown) =>
        logger.warn('could not check or register search attributes; starts fail until they exist', {
          error: (err as Error).message,
          fix: `temporal operator search-attribute create --namespace ${config.namespace} ${tempohookSearchAttributes.map((k) => `--name ${k.name} --type Keyword`).join(' ')}`,
        }),
    );
    const ingress = await startIngress({
      env,
      store,
      client: temporal.client,
      logger,
      adminToken: env.TEMPOHOOK_ADMIN_TOKEN,
      ...(tracing ? { tracing: tracing.delivery } : {}),
    });
    cleanup.push('ingress', () => ingress.close());
    logger.info('ingress listening', { url: ingress.url });
    const signal = await waitForShutdownSignal();
    logger.info('shutting down', { signal });
  } finally {
    await cleanup.run();
  }
  return 0;
}

/**
 * Temporal from a Temporal CLI profile and the TEMPORAL_* variables (envconfig), then tempohook's
 * own TLS path variables; 127.0.0.1:7233 and namespace "default" when nothing says otherwise.
 */
export function temporalConfigFromEnv(
  env: ReturnType<typeof parseEnv>,
  raw: NodeJS.ProcessEnv = process.env,
): TemporalConnectionConfig & { address: string; namespace: string } {
  const profile = loadTemporalProfile(raw);
  return {
    ...profile,
    address: profile.address ?? env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: profile.namespace ?? env.TEMPORAL_NAMESPACE,
    ...(env.TEMPORAL_TLS_CERT_PATH ? { tlsCertPath: env.TEMPORAL_TLS_CERT_PATH } : {}),
    ...(env.TEMPORAL_TLS_KEY_PATH ? { tlsKeyPath: env.TEMPORAL_TLS_KEY_PATH } : {}),
    ...(env.TEMPORAL_TLS_CA_PATH ? { tlsCaPath: env.TEMPORAL_TLS_CA_PATH } : {}),
  };
}
