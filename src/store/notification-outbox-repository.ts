/**
 * The notification outbox: `notification_deliveries` rows in `outbox_state = 'queued'`, written
 * by the worker's sink before the workflow task that produced the event completes, and claimed
 * by dispatchers (a claim expires, so a dead worker's rows are taken over). First attempts are
 * recorded in one statement per batch, subscription counters included.
 */
import { storableJson } from './storable-json';
import type { ClaimedDelivery, Db, NotificationOutboxRepository } from './types';

const MAX_ERROR_LENGTH = 1000;

interface ClaimRow {
  id: string;
  subscription_key: string;
  envelope: ClaimedDelivery['envelope'];
  attempts: number;
}

const toClaimed = (row: ClaimRow): ClaimedDelivery => ({
  id: row.id,
  subscriptionKey: row.subscription_key,
  envelope: row.envelope,
  attempts: row.attempts,
});

export function createNotificationOutboxRepository(db: Db): NotificationOutboxRepository {
  return {
    async enqueue(entries) {
      if (entries.length === 0) return [];
      const rows = entries.map((e) => ({
        id: e.id,
        subscription_key: e.subscriptionKey,
        event_id: e.envelope.id,
        event_type: e.envelope.type,
        envelope: e.envelope,
        namespace: e.namespace,
        task_queue: e.taskQueue,
        claim_ms: e.claimMs,
      }));
      const result = await db.query<ClaimRow>(
        `INSERT INTO notification_deliveries (id, subscription_key, event_id, event_type, envelope, outbox_state, namespace, task_queue, claimed_until)
         SELECT x.id, x.subscription_key, x.event_id, x.event_type, x.envelope, 'queued', x.namespace, x.task_queue,
                now() + x.claim_ms * interval '1 millisecond'
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, subscription_key text, event_id text, event_type text, envelope jsonb,
                                                namespace text, task_queue text, claim_ms integer)
         ON CONFLICT (id) DO NOTHING
         RETURNING id, subscription_key, envelope, attempts`,
        // jsonb cannot hold U+0000: stored envelopes keep U+FFFD in its place, like the delivery log's.
        [storableJson(rows)],
      );
      return result.rows.map(toClaimed);
    },

    async claimExpired(namespace, taskQueue, limit, claimMs) {
      const result = await db.query<ClaimRow>(
        `UPDATE notification_deliveries SET claimed_until = now() + $4 * interval '1 millisecond'
         WHERE id IN (
           SELECT id FROM notification_deliveries
           WHERE outbox_state = 'queued' AND namespace = $1 AND task_queue = $2 AND claimed_until < now()
           ORDER BY claimed_until LIMIT $3 FOR UPDATE SKIP LOCKED
         )
         RETURNING id, subscription_key, envelope, attempts`,
        [namespace, taskQueue, limit, claimMs],
      );
      return result.rows.map(toClaimed);
    },

    async recordAttempts(outcomes) {
      if (outcomes.length === 0) return;
      const rows = outcomes.map((o) => ({
        id: o.id,
        subscription_key: o.subscriptionKey,
        attempt: o.attempt.attempt,
        started_at: o.attempt.startedAt.toISOString(),
        duration_ms: Math.round(o.attempt.durationMs),
        http_status: o.attempt.httpStatus,
        response_body: o.attempt.responseBody,
        error: o.attempt.error?.slice(0, MAX_ERROR_LENGTH) ?? null,
        status: o.status,
      }));
      await db.query(
        `WITH input AS (
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, subscription_key text, attempt integer, started_at timestamptz,
             duration_ms integer, http_status integer, response_body text, error text, status text)
         ), attempts AS (
           INSERT INTO notification_attempts (delivery_id, attempt, started_at, duration_ms, http_status, response_body, error)
           SELECT id, attempt, started_at, duration_ms, http_status, response_body, error FROM input ON CONFLICT DO NOTHING
         ), deliveries AS (
           UPDATE notification_deliveries d SET attempts = GREATEST(d.attempts, i.attempt), status = i.status,
             last_http_status = i.http_status, last_error = i.error, updated_at = now(),
             outbox_state = CASE WHEN i.status = 'pending' THEN d.outbox_state END
           FROM input i WHERE d.id = i.id
         )
         INSERT INTO subscription_status AS s (subscription_key, last_delivery_at, last_status, deliveries_succeeded)
         SELECT subscription_key, now(), 'succeeded (HTTP ' || max(http_status) || ')', count(*) FROM input
         WHERE status = 'succeeded' GROUP BY subscription_key
         ON CONFLICT (subscription_key) DO UPDATE SET consecutive_failures = 0, last_delivery_at = EXCLUDED.last_delivery_at,
           last_status = EXCLUDED.last_status, deliveries_succeeded = s.deliveries_succeeded + EXCLUDED.deliveries_succeeded`,
        [storableJson(rows)],
      );
    },

    async backlog() {
      const result = await db.query<{ queued: number; oldest: number | null }>(
        `SELECT count(*)::int AS queued, extract(epoch FROM now() - min(created_at))::float8 AS oldest
         FROM notification_deliveries WHERE outbox_state = 'queued'`,
      );
      const row = result.rows[0];
      return { queued: row?.queued ?? 0, oldestSeconds: Math.max(0, row?.oldest ?? 0) };
    },

    async handOff(ids) {
      if (ids.length === 0) return;
      await db.query(
        `UPDATE notification_deliveries SET outbox_state = 'handed_off', claimed_until = NULL WHERE id = ANY($1::uuid[])`,
        [ids],
      );
    },
  };
}
