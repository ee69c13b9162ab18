/**
 * The delivery log's upkeep, run by every ingress replica's periodic job: claiming the
 * `pending` rows an ingress left behind (killed between reservation and record, or its final
 * write lost during a database restart) so they can be settled from Temporal. Claims use
 * FOR UPDATE SKIP LOCKED and a look-again time, so replicas never take the same row at once
 * and no lock is held while Temporal is asked.
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
  };
}
