/**
 * Subscription resources (`subscriptions`) and the delivery state of every subscription,
 * settings-file ones included (`subscription_status`): consecutive final failures, and when
 * and why it was disabled.
 */
import { notifyChange, type ResourceChange } from './change-feed';
import type { Db, SubscriptionRecord, SubscriptionsRepository, SubscriptionStatusRecord } from './types';
import { namedResourceReads } from './sql';

interface SubscriptionRow {
  namespace: string;
  name: string;
  spec: Record<string, unknown>;
  generation: number;
  created_at: Date;
  updated_at: Date;
}

interface StatusRow {
  subscription_key: string;
  consecutive_failures: number;
  disabled_at: Date | null;
  disabled_reason: string | null;
  last_delivery_at: Date | null;
  last_status: string | null;
  last_error: string | null;
  deliveries_succeeded: string;
  deliveries_failed: string;
}

const COLUMNS = 'namespace, name, spec, generation, created_at, updated_at';
const STATUS_COLUMNS =
  'subscription_key, consecutive_failures, disabled_at, disabled_reason, last_delivery_at, last_status, last_error, deliveries_succeeded, deliveries_failed';
const MAX_ERROR_LENGTH = 1000;

function toRecord(row: SubscriptionRow): SubscriptionRecord {
  return {
    namespace: row.namespace,
    name: row.name,
    spec: row.spec,
    generation: row.generation,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toStatus(row: StatusRow): SubscriptionStatusRecord {
  return {
    key: row.subscription_key,
    consecutiveFailures: row.consecutive_failures,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
    lastDeliveryAt: row.last_delivery_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
    deliveriesSucceeded: Number(row.deliveries_succeeded),
    deliveriesFailed: Number(row.deliveries_failed),
  };
}

/** `<namespace>/<name>`: the status key of an API subscription. */
export function subscriptionKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * `announce` tells workers' subscription caches about a change (default: the change feed's
 * `notifyChange` on `db`); every write that changes which subscriptions get events calls it.
 */
export function createSubscriptionsRepository(
  db: Db,
  announce: (change: ResourceChange) => Promise<void> = (change) => notifyChange(db, change),
): SubscriptionsRepository {
  const changed = (key: string) => {
    const slash = key.indexOf('/');
    return announce({ kind: 'subscription', namespace: key.slice(0, slash), name: key.slice(slash + 1) });
  };
  const reenable = async (key: string): Promise<boolean> => {
    const result = await db.query(
      `UPDATE subscription_status SET consecutive_failures = 0, disabled_at = NULL, disabled_reason = NULL WHERE subscription_key = $1`,
      [key],
    );
    if ((result.rowCount ?? 0) === 0) return false;
    await changed(key);
    return true;
  };
  return {
    ...namedResourceReads<SubscriptionRow, ReturnType<typeof toRecord>>(db, 'subscriptions', COLUMNS, toRecord),
    reenable,
    async apply(namespace, name, spec) {
      const result = await db.query<SubscriptionRow & { created: boolean }>(
        `INSERT INTO subscriptions AS s (namespace, name, spec) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (namespace, name) DO UPDATE SET
           spec = EXCLUDED.spec,
           generation = s.generation + CASE WHEN s.spec = EXCLUDED.spec THEN 0 ELSE 1 END,
           updated_at = now()
         RETURNING ${COLUMNS}, (xmax = 0) AS created`,
        [namespace, name, JSON.stringify(spec)],
      );
      // Applying again is how an operator re-enables a subscription disabled by failures.
      if (!(await reenable(subscriptionKey(namespace, name)))) await changed(subscriptionKey(namespace, name));
      const row = result.rows[0]!;
      return { subscription: toRecord(row), created: row.created };
    },

    async delete(namespace, name) {
      const result = await db.query('DELETE FROM subscriptions WHERE namespace = $1 AND name = $2', [namespace, name]);
      await db.query('DELETE FROM subscription_status WHERE subscription_key = $1', [subscriptionKey(namespace, name)]);
      await changed(subscriptionKey(namespace, name));
      return (result.rowCount ?? 0) > 0;
    },

    async status(key) {
      const result = await db.query<StatusRow>(
        `SELECT ${STATUS_COLUMNS} FROM subscription_status WHERE subscription_key = $1`,
        [key],
      );
      return result.rows[0] ? toStatus(result.rows[0]) : null;
    },

    async statuses(prefix) {
      const result = await db.query<StatusRow>(
        `SELECT ${STATUS_COLUMNS} FROM subscription_status WHERE starts_with(subscription_key, $1) ORDER BY subscription_key`,
        [prefix],
      );
      return result.rows.map(toStatus);
    },

    async register(keys) {
      if (keys.length === 0) return;
      await db.query(
        'INSERT INTO subscription_status (subscription_key) SELECT unnest($1::text[]) ON CONFLICT (subscription_key) DO NOTHING',
        [keys],
      );
    },

    async disabledKeys() {
      const result = await db.query<{ subscription_key: string }>(
        'SELECT subscription_key FROM subscription_status WHERE disabled_at IS NOT NULL',
      );
      return new Set(result.rows.map((r) => r.subscription_key));
    },

    async recordSuccess(key, httpStatus, at) {
      await db.query(
        `INSERT INTO subscription_status (subscription_key, last_delivery_at, last_status, deliveries_succeeded) VALUES ($1, $2, $3, 1)
         ON CONFLICT (subscription_key) DO UPDATE SET consecutive_failures = 0, last_delivery_at = $2, last_status = $3,
           deliveries_succeeded = subscription_status.deliveries_succeeded + 1`,
        [key, at, httpStatus === null ? 'succeeded' : `succeeded (HTTP ${httpStatus})`],
      );
    },

    async recordFinalFailure(key, error, disableAfter, at) {
      const message = error.slice(0, MAX_ERROR_LENGTH);
      const result = await db.query<StatusRow>(
        `INSERT INTO subscription_status AS s (subscription_key, consecutive_failures, last_delivery_at, last_status, last_error, deliveries_failed)
         VALUES ($1, 1, $2, 'failed', $3, 1)
         ON CONFLICT (subscription_key) DO UPDATE SET consecutive_failures = s.consecutive_failures + 1, last_delivery_at = $2,
           last_status = 'failed', last_error = $3, deliveries_failed = s.deliveries_failed + 1
         RETURNING ${STATUS_COLUMNS}`,
        [key, at, message],
      );
      const status = toStatus(result.rows[0]!);
      if (status.consecutiveFailures < disableAfter || status.disabledAt) return status;
      const disabled = await db.query<StatusRow>(
        `UPDATE subscription_status SET disabled_at = $2, disabled_reason = $3 WHERE subscription_key = $1 AND disabled_at IS NULL RETURNING ${STATUS_COLUMNS}`,
        [
          key,
          at,
          `disabled after ${status.consecutiveFailures} consecutive failed deliveries; the last: ${message}`.slice(
            0,
            MAX_ERROR_LENGTH,
          ),
        ],
      );
      if (!disabled.rows[0]) return status;
      await changed(key);
      return toStatus(disabled.rows[0]);
    },
  };
}
