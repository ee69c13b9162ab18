/**
 * The store: one `pg` pool, migrated on start, and the repositories over it. PostgreSQL in
 * production; the embedded PGlite server (`startEmbeddedPostgres`) in `tempohook dev` and tests.
 */
import { createDeliveriesRepository } from './deliveries-repository';
import { createDeliveryUpkeepRepository } from './delivery-upkeep-repository';
import { isEmbeddedPostgresUrl } from './embedded-postgres';
import { migrate } from './migrate';
import { createPool, explainConnectionError } from './pool';
import { createRateLimitsRepository } from './rate-limits-repository';
import { createSecretCipher } from './secret-cipher';
import { createSecretsRepository } from './secrets-repository';
import type { Store } from './types';
import { createWebhooksRepository } from './webhooks-repository';
import { createWaitsRepository } from './waits-repository';
import { createSubscriptionsRepository } from './subscriptions-repository';
import { createNotificationDeliveriesRepository } from './notification-deliveries-repository';
import { createNotificationOutboxRepository } from './notification-outbox-repository';
import { createReplayJobsRepository } from './replay-jobs-repository';
import { createChangeFeed, notifyChange, type ResourceChange } from './change-feed';
import { createApiTokensRepository } from './api-tokens-repository';
import { createAuditLogRepository } from './audit-log-repository';
import type { Logger } from '../logger';

export * from './types';
export { createPool, describeDatabaseUrl, explainConnectionError, type CreatePoolOptions } from './pool';
export { isUuid, quoteIdentifier, withTransaction } from './sql';
export { migrate, loadMigrations, findMigrationsDir, type Migration, type MigrateResult } from './migrate';
export {
  startEmbeddedPostgres,
  isEmbeddedPostgresUrl,
  type EmbeddedPostgres,
  type StartEmbeddedPostgresOptions,
} from './embedded-postgres';
export { createSecretsRepository, type SecretsRepositoryOptions } from './secrets-repository';
export { createWebhooksRepository, newEndpointId } from './webhooks-repository';
export { createDeliveriesRepository } from './deliveries-repository';
export { createDeliveryUpkeepRepository } from './delivery-upkeep-repository';
export { createRateLimitsRepository } from './rate-limits-repository';
export { parseSecretKey } from './secret-cipher';
export { createWaitsRepository, CLAIM_TIMEOUT_MS } from './waits-repository';
export { createSubscriptionsRepository, subscriptionKey } from './subscriptions-repository';
export { createNotificationDeliveriesRepository } from './notification-deliveries-repository';
export { createLookupCache, type LookupCache, type LookupCacheOptions } from './lookup-cache';
export { API_TOKEN_PREFIX, createApiTokensRepository, hashApiToken, looksLikeApiToken } from './api-tokens-repository';
export { createAuditLogRepository } from './audit-log-repository';
export { notifyChange, createChangeFeed, type ChangeFeed, type ResourceChange, type ResourceKind } from './change-feed';

export interface CreateStoreOptions {
  /** `postgres://…`; the URL of `startEmbeddedPostgres()` works too. */
  databaseUrl: string;
  /** Tables go in this schema (created if missing); default: the connection's search_path. */
  schema?: string;
  /** TEMPOHOOK_SECRET_KEY (32 bytes, base64 or hex): encrypts Secret data at rest. */
  encryptionKey?: string | Buffer;
  /** Pool size; default 10, and 1 for the embedded database (it runs one statement at a time). */
  poolMax?: number;
  /** Server-side statement timeout (default 10 s; PGlite ignores it). */
  statementTimeoutMs?: number;
  /** How long to wait for a connection (default 5 s). */
  connectionTimeoutMs?: number;
  logger?: Logger;
}

/** Connects, applies pending migrations and returns the repositories. Fails with `database_unreachable` (503) when the database cannot be used. */
export async function createStore(options: CreateStoreOptions): Promise<Store> {
  const { databaseUrl } = options;
  // A bad key is a configuration error: report it before touching the database.
  if (options.encryptionKey !== undefined) createSecretCipher(options.encryptionKey);
  const embedded = isEmbeddedPostgresUrl(databaseUrl);
  const db = createPool(databaseUrl, {
    max: options.poolMax ?? (embedded ? 1 : 10),
    schema: options.schema,
    statementTimeoutMs: options.statementTimeoutMs,
    connectionTimeoutMs: options.connectionTimeoutMs,
    idleTimeoutMs: embedded ? 0 : undefined,
    logger: options.logger,
  });
  try {
    await migrate(db);
  } catch (err) {
    await db.end().catch(() => undefined);
    throw explainConnectionError(err, databaseUrl) ?? err;
  }

  const changes = createChangeFeed({
    databaseUrl,
    ...(options.schema ? { schema: options.schema } : {}),
    db,
    poll: embedded,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  let closing: Promise<void> | null = null;
  // Announced to other processes through the database, and to this one's caches at once.
  const announce = async (change: ResourceChange) => {
    await notifyChange(db, change);
    changes.publishLocal(change);
  };
  return {
    changes,
    db,
    secrets: createSecretsRepository(db, { encryptionKey: options.encryptionKey }, announce),
    webhooks: createWebhooksRepository(db, announce),
    deliveries: createDeliveriesRepository(db, { encryptionKey: options.encryptionKey, prepared: !embedded }),
    deliveryUpkeep: createDeliveryUpkeepRepository(db),
    rateLimits: createRateLimitsRepository(db),
    waits: createWaitsRepository(db),
    subscriptions: createSubscriptionsRepository(db, announce),
    notificationDeliveries: createNotificationDeliveriesRepository(db),
    notificationOutbox: createNotificationOutboxRepository(db),
    apiTokens: createApiTokensRepository(db),
    auditLog: createAuditLogRepository(db),
    replayJobs: createReplayJobsRepository(db),
    async ping(timeoutMs = 2_000) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const answered = db.query('SELECT 1').then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([answered, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
    close() {
      closing ??= changes.close().then(() => db.end());
      return closing;
    },
  };
}
