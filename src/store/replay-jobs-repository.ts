/**
 * Bulk replay jobs (`replay_jobs`) and their items (`replay_job_items`, one per source delivery).
 * A job is claimed by one ingress at a time (FOR UPDATE SKIP LOCKED, then a lease it renews);
 * items are claimed one by one before their replay and finished with their result, the job's
 * counters moving in the same statement. An item keyed (job, source delivery) is replayed at
 * most once: a claimed item whose ingress died is settled from the delivery log
 * (`deliveries.replay_job_id`) before it may be claimed again.
 */
import { randomUUID } from 'node:crypto';
import { TempohookError } from '../errors';
import { filterClause } from './deliveries-repository';
import { isUuid, withTransaction } from './sql';
import type {
  Db,
  DeliveryFilter,
  DeliveryOutcome,
  ReplayJobRecord,
  ReplayJobState,
  ReplayJobsRepository,
} from './types';

interface JobRow {
  id: string;
  webhook_id: string;
  namespace: string;
  name: string;
  filter: Record<string, unknown>;
  new_event_id: boolean;
  rate_per_second: number;
  state: ReplayJobState;
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const JOB_COLUMNS = `j.id, j.webhook_id, w.namespace, w.name, j.filter, j.new_event_id, j.rate_per_second, j.state,
  j.total, j.done, j.succeeded, j.failed, j.created_at, j.updated_at, j.finished_at`;

/** Longest error kept per item. */
const MAX_ERROR_LENGTH = 1000;

function toRecord(row: JobRow): ReplayJobRecord {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    namespace: row.namespace,
    webhookName: row.name,
    filter: row.filter,
    newEventId: row.new_event_id,
    ratePerSecond: Number(row.rate_per_second),
    state: row.state,
    total: row.total,
    done: row.done,
    succeeded: row.succeeded,
    failed: row.failed,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/** The filter as stored: instants as ISO strings. */
function storedFilter(filter: DeliveryFilter): Record<string, unknown> {
  return {
    ...(filter.outcomes ? { outcome: [...filter.outcomes] } : {}),
    ...(filter.httpStatus !== undefined ? { status: filter.httpStatus } : {}),
    ...(filter.eventId !== undefined ? { eventId: filter.eventId } : {}),
    ...(filter.workflowId !== undefined ? { workflowId: filter.workflowId } : {}),
    ...(filter.since ? { since: filter.since.toISOString() } : {}),
    ...(filter.until ? { until: filter.until.toISOString() } : {}),
  };
}

/** Creates the replay jobs repository over `db`. */
export function createReplayJobsRepository(db: Db): ReplayJobsRepository {
  async function get(webhookId: string, id: string): Promise<ReplayJobRecord | null> {
    if (!isUuid(webhookId) || !isUuid(id)) return null;
    const result = await db.query<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM replay_jobs j JOIN webhooks w ON w.id = j.webhook_id WHERE j.id = $1 AND j.webhook_id = $2`,
      [id, webhookId],
    );
    return result.rows[0] ? toRecord(result.rows[0]) : null;
  }

  /** Finishes one claimed item and counts it, in one statement; false when `owner` did not hold it. */
  async function finish(
    jobId: string,
    deliveryId: string,
    owner: string | null,
    result: {
      state: 'succeeded' | 'failed';
      replayDeliveryId: string | null;
      outcome: string | null;
      error: string | null;
    },
  ): Promise<void> {
    await db.query(
      `WITH item AS (
         UPDATE replay_job_items SET state = $4, replay_delivery_id = $5, outcome = $6, error = $7
         WHERE job_id = $1 AND delivery_id = $2 AND state = 'claimed' AND ($3::text IS NULL OR claimed_by = $3)
         RETURNING state
       )
       UPDATE replay_jobs SET done = done + 1,
         succeeded = succeeded + CASE WHEN $4 = 'succeeded' THEN 1 ELSE 0 END,
         failed = failed + CASE WHEN $4 = 'failed' THEN 1 ELSE 0 END,
         updated_at = now()
       WHERE id = $1 AND EXISTS (SELECT 1 FROM item)`,
      [
        jobId,
        deliveryId,
        owner,
        result.state,
        result.replayDeliveryId,
        result.outcome,
        result.error === null ? null : result.error.slice(0, MAX_ERROR_LENGTH),
      ],
    );
  }

  return {
    get,

    async create({ webhookId, filter, newEventId, ratePerSecond, now, maxItems }) {
      const id = randomUUID();
      return withTransaction(db, async (client) => {
        await client.query(
          `INSERT INTO replay_jobs (id, webhook_id, filter, new_event_id, rate_per_second, total, created_at, updated_at)
           VALUES ($1, $2, $3::jsonb, $4, $5, 0, $6, $6)`,
          [id, webhookId, JSON.stringify(storedFilter(filter)), newEventId, ratePerSecond, now],
        );
        const { where, params } = filterClause(webhookId, filter);
        const jobParam = `$${params.length + 1}`;
        const limitParam = `$${params.length + 2}`;
        const inserted = await client.query(
          `INSERT INTO replay_job_items (job_id, delivery_id, received_at)
           SELECT ${jobParam}::uuid, id, received_at FROM deliveries WHERE ${where}
           ORDER BY received_at, id LIMIT ${limitParam}`,
          [...params, id, maxItems + 1],
        );
        const total = inserted.rowCount ?? 0;
        if (total > maxItems)
          throw new TempohookError(
            'too_many_deliveries',
            `The search matches more than ${maxItems} deliveries; narrow it (since, until, outcome) and replay in parts.`,
            400,
          );
        await client.query('UPDATE replay_jobs SET total = $2 WHERE id = $1', [id, total]);
        const result = await client.query<JobRow>(
          `SELECT ${JOB_COLUMNS} FROM replay_jobs j JOIN webhooks w ON w.id = j.webhook_id WHERE j.id = $1`,
          [id],
        );
        return toRecord(result.rows[0]!);
      });
    },

    async list(webhookId, limit) {
      if (!isUuid(webhookId)) return [];
      const result = await db.query<JobRow>(
        `SELECT ${JOB_COLUMNS} FROM replay_jobs j JOIN webhooks w ON w.id = j.webhook_id
         WHERE j.webhook_id = $1 ORDER BY j.created_at DESC, j.id DESC LIMIT $2`,
        [webhookId, limit],
      );
      return result.rows.map(toRecord);
    },

    async claim({ owner, now, leaseMs }) {
      const result = await db.query<JobRow>(
        `WITH taken AS (
           SELECT id FROM replay_jobs
           WHERE state IN ('pending', 'running') AND (lease_expires_at IS NULL OR lease_expires_at <= $2)
           ORDER BY created_at
           LIMIT 1
           FOR UPDATE SKIP LOCKED
         ), claimed AS (
           UPDATE replay_jobs j SET state = 'running', lease_owner = $1, lease_expires_at = $3, updated_at = $2
           FROM taken WHERE j.id = taken.id
           RETURNING j.*
         )
         SELECT ${JOB_COLUMNS} FROM claimed j JOIN webhooks w ON w.id = j.webhook_id`,
        [owner, now, new Date(now.getTime() + leaseMs)],
      );
      return result.rows[0] ? toRecord(result.rows[0]) : null;
    },

    async renew(id, owner, now, leaseMs) {
      const result = await db.query(
        `UPDATE replay_jobs SET lease_expires_at = $3 WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
        [id, owner, new Date(now.getTime() + leaseMs)],
      );
      return (result.rowCount ?? 0) > 0;
    },

    async staleClaims(jobId, owner) {
      // The reservation of a replay is its point of no return: a row of this job replaying the
      // source means the replay happened, whatever became of the ingress after.
      const result = await db.query<{
        source: string;
        id: string | null;
        webhook_id: string;
        event_id: string | null;
        source_event: string | null;
        received_at: Date;
        outcome: DeliveryOutcome;
        reason: string | null;
        namespace: string;
        name: string;
        spec: Record<string, unknown>;
      }>(
        `SELECT i.delivery_id AS source, d.id, d.webhook_id, d.event_id, d.source_event, d.received_at, d.outcome, d.reason,
                w.namespace, w.name, w.spec
         FROM replay_job_items i
         LEFT JOIN LATERAL (
           SELECT * FROM deliveries d WHERE d.replay_of = i.delivery_id AND d.replay_job_id = i.job_id
           ORDER BY d.received_at DESC LIMIT 1
         ) d ON true
         LEFT JOIN webhooks w ON w.id = d.webhook_id
         WHERE i.job_id = $1 AND i.state = 'claimed' AND i.claimed_by IS DISTINCT FROM $2`,
        [jobId, owner],
      );
      return result.rows.map((row) => ({
        deliveryId: row.source,
        replay:
          row.id === null
            ? null
            : {
                id: row.id,
                webhookId: row.webhook_id,
                eventId: row.event_id,
                sourceEvent: row.source_event,
                receivedAt: row.received_at,
                outcome: row.outcome,
                reason: row.reason,
                webhook: { namespace: row.namespace, name: row.name, spec: row.spec },
              },
      }));
    },

    async resetItem(jobId, deliveryId) {
      await db.query(
        `UPDATE replay_job_items SET state = 'pending', claimed_by = NULL WHERE job_id = $1 AND delivery_id = $2 AND state = 'claimed'`,
        [jobId, deliveryId],
      );
    },

    async claimItems(jobId, owner, limit) {
      const result = await db.query<{ delivery_id: string }>(
        `UPDATE replay_job_items i SET state = 'claimed', claimed_by = $2
         FROM (
           SELECT delivery_id FROM replay_job_items
           WHERE job_id = $1 AND state = 'pending'
           ORDER BY received_at, delivery_id
           LIMIT $3
           FOR UPDATE SKIP LOCKED
         ) taken
         WHERE i.job_id = $1 AND i.delivery_id = taken.delivery_id
         RETURNING i.delivery_id`,
        [jobId, owner, limit],
      );
      return result.rows.map((row) => row.delivery_id);
    },

    finishItem: (jobId, deliveryId, owner, result) => finish(jobId, deliveryId, owner, result),

    async releaseItem(jobId, deliveryId, owner) {
      await db.query(
        `UPDATE replay_job_items SET state = 'pending', claimed_by = NULL
         WHERE job_id = $1 AND delivery_id = $2 AND state = 'claimed' AND claimed_by = $3`,
        [jobId, deliveryId, owner],
      );
    },

    async complete(jobId, owner, now) {
      const result = await db.query(
        `UPDATE replay_jobs SET state = 'completed', finished_at = $3, updated_at = $3, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $1 AND lease_owner = $2 AND state = 'running'
           AND NOT EXISTS (SELECT 1 FROM replay_job_items WHERE job_id = $1 AND state IN ('pending', 'claimed'))`,
        [jobId, owner, now],
      );
      return (result.rowCount ?? 0) > 0;
    },

    async cancel(webhookId, id, now) {
      if (!isUuid(webhookId) || !isUuid(id)) return null;
      await db.query(
        `UPDATE replay_jobs SET state = 'cancelled', finished_at = $3, updated_at = $3, lease_owner = NULL, lease_expires_at = NULL
         WHERE id = $1 AND webhook_id = $2 AND state IN ('pending', 'running')`,
        [id, webhookId, now],
      );
      return get(webhookId, id);
    },
  };
}
