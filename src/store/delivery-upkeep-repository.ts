/**
 * The delivery log's upkeep, run by every ingress replica's periodic job: claiming the
 * `pending` rows an ingress left behind (killed between reservation and record, or its final
 * write lost during a database restart) so they can be settled from Temporal, and purging rows
 * past their retention. Claims use FOR UPDATE SKIP LOCKED and a look-again time, so replicas
 * never take the same row at once and no lock is held while Temporal is asked; purges delete
 * a bounded batch per statement, skipping rows another replica holds.
 */
import type { Db, DeliveryUpkeepRepository, PendingDeliveryClaim } from './types';
import { isUuid } from './sql';

/** Longest `reason` kept (as the deliveries repository). */
const MAX_REASON_LENGTH = 1000;

interface PendingRow {
  id: string;
  webhook_id: string;
  event_id: string | null;
  source_event: string | null;
  received_at: Date;
  namespace: string;
  name: string;
  spec: Record<string, unknown>;
}

/** Batches one purge call deletes at most; the next periodic run goes on. */
const MAX_PURGE_BATCHES = 100;

/** Runs a batched DELETE until a batch comes back short (or MAX_PURGE_BATCHES); returns the rows deleted. */
async function purgeInBatches(db: Db, sql: string, params: unknown[], batchSize: number): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < MAX_PURGE_BATCHES; batch++) {
    const deleted = (await db.query(sql, params)).rowCount ?? 0;
    total += deleted;
    if (deleted < batchSize) break;
  }
  return total;
}

/** Creates the upkeep repository over `db`. */
export function createDeliveryUpkeepRepository(db: Db): DeliveryUpkeepRepository {
  return {
    async claimPending({ receivedBefore, now, lookAgainAfterMs, limit }) {
      const result = await db.query<PendingRow>(
        `WITH taken AS (
           SELECT id FROM deliveries
           WHERE outcome = 'pending' AND received_at <= $1
             AND (settle_checked_at IS NULL OR settle_checked_at <= $2)
           ORDER BY received_at
           LIMIT $3
           FOR UPDATE SKIP LOCKED
         ), claimed AS (
           UPDATE deliveries d SET settle_checked_at = $4 FROM taken WHERE d.id = taken.id
           RETURNING d.id, d.webhook_id, d.event_id, d.source_event, d.received_at
         )
         SELECT c.*, w.namespace, w.name, w.spec FROM claimed c JOIN webhooks w ON w.id = c.webhook_id`,
        [receivedBefore, new Date(now.getTime() - lookAgainAfterMs), limit, now],
      );
      return result.rows.map((row): PendingDeliveryClaim => ({
        id: row.id,
        webhookId: row.webhook_id,
        eventId: row.event_id,
        sourceEvent: row.source_event,
        receivedAt: row.received_at,
        webhook: { namespace: row.namespace, name: row.name, spec: row.spec },
      }));
    },

    async settlePending(id, settlement) {
      if (!isUuid(id)) return false;
      const reason = settlement.reason.slice(0, MAX_REASON_LENGTH);
      // Only a row still pending: an ingress that recorded meanwhile wins.
      const result = await db.query<{ id: string }>(
        settlement.outcome === 'started'
          ? `UPDATE deliveries SET outcome = 'started', http_status = 202, workflow_id = $2, run_id = $3, reason = $4
             WHERE id = $1 AND outcome = 'pending' RETURNING id`
          : `WITH settled AS (
               UPDATE deliveries SET outcome = 'failed', reason = $2 WHERE id = $1 AND outcome = 'pending' RETURNING id
             ), released AS (
               DELETE FROM dedup_keys WHERE delivery_id IN (SELECT id FROM settled)
             )
             SELECT id FROM settled`,
        settlement.outcome === 'started' ? [id, settlement.workflowId, settlement.runId, reason] : [id, reason],
      );
      return result.rows.length > 0;
    },

    async purgeDeliveries({ webhookId, before, batchSize }) {
      if (!isUuid(webhookId)) return 0;
      // Each statement a short transaction over at most batchSize rows (webhook, received_at index).
      return purgeInBatches(
        db,
        `DELETE FROM deliveries WHERE id IN (
           SELECT d.id FROM deliveries d
           WHERE d.webhook_id = $1 AND d.received_at < $2
             AND NOT EXISTS (SELECT 1 FROM dedup_keys k WHERE k.delivery_id = d.id)
           ORDER BY d.received_at
           LIMIT $3
           FOR UPDATE SKIP LOCKED
         )`,
        [webhookId, before, batchSize],
        batchSize,
      );
    },

    async purgePayloads({ webhookId, before, batchSize }) {
      if (!isUuid(webhookId)) return 0;
      return purgeInBatches(
        db,
        `DELETE FROM delivery_bodies WHERE delivery_id IN (
           SELECT delivery_id FROM delivery_bodies
           WHERE webhook_id = $1 AND received_at < $2
           ORDER BY received_at
           LIMIT $3
           FOR UPDATE SKIP LOCKED
         )`,
        [webhookId, before, batchSize],
        batchSize,
      );
    },

    async purgeNotificationDeliveries(input) {
      const [filter, key] =
        'subscriptionKey' in input
          ? ['subscription_key = $3', input.subscriptionKey]
          : ['subscription_key <> ALL($3::text[])', [...input.except]];
      return purgeInBatches(
        db,
        `DELETE FROM notification_deliveries WHERE id IN (
           SELECT id FROM notification_deliveries
           WHERE created_at < $1 AND status <> 'pending' AND ${filter}
           ORDER BY created_at
           LIMIT $2
           FOR UPDATE SKIP LOCKED
         )`,
        [input.before, input.batchSize, key],
        input.batchSize,
      );
    },
  };
}
