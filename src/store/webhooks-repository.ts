/**
 * Webhook resources in the `webhooks` table: the applied spec, the public endpoint id and the
 * status counters the ingress updates after each delivery.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { notifyChange, type ResourceChange } from './change-feed';
import { isUuid, namedResourceReads } from './sql';
import type { Db, WebhookRecord, WebhooksRepository } from './types';

interface WebhookRow {
  id: string;
  namespace: string;
  name: string;
  spec: Record<string, unknown>;
  endpoint_id: string;
  generation: number;
  verified: boolean;
  last_delivery_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  deliveries_accepted: string;
  deliveries_rejected: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, namespace, name, spec, endpoint_id, generation, verified, last_delivery_at, last_error, last_error_at, deliveries_accepted, deliveries_rejected, created_at, updated_at';

/** Longest `lastError` kept; provider bodies and Temporal messages can be long. */
const MAX_ERROR_LENGTH = 1000;

const ENDPOINT_ID = /^[A-Za-z0-9_-]{43}$/;

/** True when `id` has the shape of an endpoint id; anything else names no webhook and never reaches SQL. */
export function isEndpointId(id: string): boolean {
  return ENDPOINT_ID.test(id);
}

/** A new endpoint id: 32 random bytes, base64url (43 characters), unguessable. */
export function newEndpointId(): string {
  return randomBytes(32).toString('base64url');
}

function toRecord(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    namespace: row.namespace,
    name: row.name,
    spec: row.spec,
    endpointId: row.endpoint_id,
    generation: row.generation,
    verified: row.verified,
    lastDeliveryAt: row.last_delivery_at,
    lastError: row.last_error,
    lastErrorAt: row.last_error_at,
    deliveriesAccepted: Number(row.deliveries_accepted),
    deliveriesRejected: Number(row.deliveries_rejected),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Creates the webhooks repository over `db`. Every write that changes what a delivery resolves to
 * (apply, delete) is announced (by default `notifyChange` on `db`), so the ingress's lookup caches
 * drop it; status updates are not.
 */
export function createWebhooksRepository(
  db: Db,
  announce: (change: ResourceChange) => Promise<void> = (change) => notifyChange(db, change),
): WebhooksRepository {
  return {
    ...namedResourceReads<WebhookRow, ReturnType<typeof toRecord>>(db, 'webhooks', COLUMNS, toRecord),
    async apply(namespace, name, spec) {
      const id = randomUUID();
      // jsonb equality ignores key order, so re-applying the same spec is not a change.
      const result = await db.query<WebhookRow & { created: boolean }>(
        `INSERT INTO webhooks AS w (id, namespace, name, spec, endpoint_id) VALUES ($1, $2, $3, $4::jsonb, $5)
         ON CONFLICT (namespace, name) DO UPDATE SET
           spec = EXCLUDED.spec,
           generation = w.generation + CASE WHEN w.spec = EXCLUDED.spec THEN 0 ELSE 1 END,
           updated_at = CASE WHEN w.spec = EXCLUDED.spec THEN w.updated_at ELSE now() END
         RETURNING ${COLUMNS}, (id = $1) AS created`,
        [id, namespace, name, JSON.stringify(spec), newEndpointId()],
      );
      const row = result.rows[0]!;
      await announce({ kind: 'webhook', namespace, name });
      return { webhook: toRecord(row), created: row.created };
    },

    async getByEndpointId(endpointId) {
      if (!isEndpointId(endpointId)) return null;
      const result = await db.query<WebhookRow>(`SELECT ${COLUMNS} FROM webhooks WHERE endpoint_id = $1`, [endpointId]);
      return result.rows[0] ? toRecord(result.rows[0]) : null;
    },

    async delete(namespace, name) {
      const result = await db.query('DELETE FROM webhooks WHERE namespace = $1 AND name = $2', [namespace, name]);
      const deleted = (result.rowCount ?? 0) > 0;
      if (deleted) await announce({ kind: 'webhook', namespace, name });
      return deleted;
    },

    async recordAccepted(id, at) {
      if (!isUuid(id)) return;
      await db.query(
        `UPDATE webhooks SET verified = true, last_delivery_at = GREATEST(last_delivery_at, $2::timestamptz), deliveries_accepted = deliveries_accepted + 1
         WHERE id = $1`,
        [id, at],
      );
    },

    async recordError(id, message, at) {
      if (!isUuid(id)) return;
      await db.query(
        `UPDATE webhooks SET last_error = $2, last_error_at = $3, deliveries_rejected = deliveries_rejected + 1
         WHERE id = $1`,
        [id, message.slice(0, MAX_ERROR_LENGTH), at],
      );
    },
  };
}
