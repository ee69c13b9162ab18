/**
 * Waits (`waitForWebhook` registrations) and the payload log of signal webhooks.
 *
 * Two rules make a wait resolve at most once and lose no delivery:
 * - A delivery claims each wait in one statement (`state = 'open'` → `'claimed'`, under row
 *   locks) before it signals; a concurrent delivery of another event re-reads the row and skips
 *   it. The claim is undone when Temporal is unavailable. If its ingress died before signaling,
 *   another attempt of the same event takes the claim over at once, and after CLAIM_TIMEOUT_MS
 *   the sweeper signals the claimed delivery from the payload log (`takeExpiredClaims`).
 * - Registration with `since` and the ingress's matching serialize per webhook on an advisory
 *   lock (exclusive for registration, shared for deliveries), and the ingress stores the payload
 *   before matching: either the registration sees the payload, or the delivery sees the wait.
 */
import type { PoolClient } from 'pg';
import { storableJson } from './storable-json';
import type { WebhookDelivery } from '../workflows/definitions';
import { keysetPage } from './keyset-page';
import { isUuid, withTransaction } from './sql';
import type { CompiledMatch, Db, MatchPath, RegisterWaitRecord, WaitRecord, WaitState, WaitsRepository } from './types';

/** A claim older than this belongs to an ingress that died mid-signal: the sweeper signals its delivery. */
export const CLAIM_TIMEOUT_MS = 60_000;
/** Resolved waits are kept this long: they record which events a workflow id already consumed. */
const RESOLVED_RETENTION_MS = 7 * 24 * 3600_000;
/** A wait past its timeout by this much was not removed by its run (terminated, reset): stale. */
const TIMEOUT_GRACE_MS = 10 * 60_000;
/** Candidates read for a `since` look-up before the `if` is applied. */
const SINCE_CANDIDATES = 200;

interface WaitRow {
  id: string;
  webhook_id: string;
  temporal_namespace: string;
  workflow_id: string;
  run_id: string;
  workflow_type: string;
  match: Record<string, unknown>;
  condition: string | null;
  vars: Record<string, unknown> | null;
  state: WaitState;
  delivery_id: string | null;
  created_at: Date;
  timeout_at: Date | null;
}

const WAIT_COLUMNS =
  'id, webhook_id, temporal_namespace, workflow_id, run_id, workflow_type, match, condition, vars, state, delivery_id, created_at, timeout_at';

function toWait(row: WaitRow): WaitRecord {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    temporalNamespace: row.temporal_namespace,
    workflowId: row.workflow_id,
    runId: row.run_id,
    workflowType: row.workflow_type,
    match: row.match,
    condition: row.condition,
    vars: row.vars,
    state: row.state,
    deliveryId: row.delivery_id,
    createdAt: row.created_at,
    timeoutAt: row.timeout_at,
  };
}

interface PayloadRow {
  delivery_id: string;
  event_id: string;
  source: string;
  received_at: Date;
  payload: unknown;
  headers: Record<string, string>;
}

function toDelivery(row: PayloadRow): WebhookDelivery {
  return {
    deliveryId: row.delivery_id,
    eventId: row.event_id,
    receivedAt: row.received_at.toISOString(),
    source: row.source,
    payload: row.payload,
    headers: row.headers,
  };
}

const LIVE = `state IN ('open', 'claimed')`;

/** Registration (exclusive) and matching (shared) of one webhook serialize on this lock. */
const WEBHOOK_LOCK = `hashtextextended('tempohook.waits:' || $1::text, 0)`;

/** SQL conditions selecting logged payloads equal to `match` at its paths; parameters from `firstParam`. */
function payloadEquality(entries: CompiledMatch['entries'], firstParam: number): { sql: string[]; values: unknown[] } {
  const sql: string[] = [];
  const values: unknown[] = [];
  for (const { path, value } of entries) {
    values.push(path.in === 'headers' ? path.name : path.segments.map(String), storableJson(value));
    const key = `$${firstParam + values.length - 2}`;
    const expected = `$${firstParam + values.length - 1}::jsonb`;
    sql.push(
      path.in === 'headers' ? `p.headers -> ${key}::text = ${expected}` : `p.payload #> ${key}::text[] = ${expected}`,
    );
  }
  return { sql, values };
}

/** Creates the waits repository over `db`. */
export function createWaitsRepository(db: Db): WaitsRepository {
  async function deliveryOf(client: PoolClient | Db, deliveryId: string): Promise<WebhookDelivery | null> {
    const result = await client.query<PayloadRow>(
      'SELECT delivery_id, event_id, source, received_at, payload, headers FROM delivery_payloads WHERE delivery_id = $1',
      [deliveryId],
    );
    return result.rows[0] ? toDelivery(result.rows[0]) : null;
  }

  async function findLogged(client: PoolClient, input: RegisterWaitRecord): Promise<WebhookDelivery | null> {
    const equality = payloadEquality(input.compiled.entries, 5);
    const result = await client.query<PayloadRow>(
      `SELECT p.delivery_id, p.event_id, p.source, p.received_at, p.payload, p.headers
       FROM delivery_payloads p
       WHERE p.webhook_id = $1 AND p.received_at >= $2 AND p.expires_at > $3
         ${equality.sql.map((c) => `AND ${c}`).join(' ')}
         AND NOT EXISTS (SELECT 1 FROM waits c WHERE c.workflow_id = $4 AND c.webhook_id = p.webhook_id AND c.event_id = p.event_id AND c.state IN ('claimed', 'signaled'))
       ORDER BY p.received_at, p.delivery_id
       LIMIT ${SINCE_CANDIDATES}`,
      [input.webhookId, input.since, input.now, input.workflowId, ...equality.values],
    );
    for (const row of result.rows) {
      const delivery = toDelivery(row);
      if (input.accepts(delivery)) return delivery;
    }
    return null;
  }

  return {
    async register(input) {
      return withTransaction(db, async (client) => {
        if (input.since) await client.query(`SELECT pg_advisory_xact_lock(${WEBHOOK_LOCK})`, [input.webhookId]);
        const existing = await client.query<{ delivery_id: string | null }>(
          'SELECT delivery_id FROM waits WHERE id = $1',
          [input.id],
        );
        if (existing.rows[0]) {
          // A retried registration: answer as the first attempt did.
          const deliveryId = existing.rows[0].delivery_id;
          return { delivery: deliveryId ? await deliveryOf(client, deliveryId) : null };
        }
        await client.query(
          `INSERT INTO wait_path_sets (webhook_id, path_set, paths, last_used_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (webhook_id, path_set) DO UPDATE SET last_used_at = EXCLUDED.last_used_at`,
          [input.webhookId, input.compiled.pathSet.key, JSON.stringify(input.compiled.pathSet.paths), input.now],
        );
        const delivery = input.since ? await findLogged(client, input) : null;
        await client.query(
          `INSERT INTO waits (id, webhook_id, temporal_namespace, workflow_id, run_id, workflow_type, match, path_set, match_key, condition, vars,
                              state, delivery_id, event_id, created_at, timeout_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $15)`,
          [
            input.id,
            input.webhookId,
            input.temporalNamespace,
            input.workflowId,
            input.runId,
            input.workflowType,
            storableJson(input.match),
            input.compiled.pathSet.key,
            input.compiled.matchKey,
            input.condition,
            input.vars === null ? null : storableJson(input.vars),
            delivery ? 'signaled' : 'open',
            delivery?.deliveryId ?? null,
            delivery?.eventId ?? null,
            input.now,
            input.timeoutAt,
          ],
        );
        return { delivery };
      });
    },

    async remove(workflowId, runId, waitIds) {
      const ids = (waitIds ?? []).filter(isUuid);
      const result = waitIds
        ? await db.query(
            `DELETE FROM waits WHERE workflow_id = $1 AND run_id = $2 AND id = ANY($3::uuid[]) AND state IN ('open', 'stale')`,
            [workflowId, runId, ids],
          )
        : await db.query(`DELETE FROM waits WHERE workflow_id = $1 AND run_id = $2 AND state IN ('open', 'stale')`, [
            workflowId,
            runId,
          ]);
      const claimed = waitIds
        ? await db.query<{ id: string }>(
            `SELECT id FROM waits WHERE workflow_id = $1 AND run_id = $2 AND id = ANY($3::uuid[]) AND state IN ('claimed', 'signaled')`,
            [workflowId, runId, ids],
          )
        : { rows: [] };
      return { removed: result.rowCount ?? 0, claimed: claimed.rows.map((row) => row.id) };
    },

    async recordPayload({ webhookId, delivery, expiresAt }) {
      await db.query(
        `INSERT INTO delivery_payloads (delivery_id, webhook_id, event_id, source, received_at, payload, headers, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (delivery_id) DO NOTHING`,
        [
          delivery.deliveryId,
          webhookId,
          delivery.eventId,
          delivery.source,
          delivery.receivedAt,
          storableJson(delivery.payload ?? null),
          storableJson(delivery.headers),
          expiresAt,
        ],
      );
    },

    async pathSets(webhookId) {
      const result = await db.query<{ path_set: string; paths: MatchPath[] }>(
        'SELECT path_set, paths FROM wait_path_sets WHERE webhook_id = $1',
        [webhookId],
      );
      return result.rows.map((row) => ({ key: row.path_set, paths: row.paths }));
    },

    async claim(input) {
      if (input.matchKeys.length === 0) return [];
      const cutoff = new Date(input.now.getTime() - CLAIM_TIMEOUT_MS);
      return withTransaction(db, async (client) => {
        await client.query(`SELECT pg_advisory_xact_lock_shared(${WEBHOOK_LOCK})`, [input.webhookId]);
        // FOR UPDATE: a concurrent claimer's commit is waited for and the row re-checked, so each wait is claimed once.
        const candidates = await client.query<WaitRow>(
          `SELECT ${WAIT_COLUMNS} FROM waits
           WHERE webhook_id = $1 AND match_key = ANY($2::text[]) AND temporal_namespace = $3
             AND (state = 'open' OR (state = 'claimed' AND (claimed_at < $4 OR event_id = $6)))
             AND ($5::text[] IS NULL OR workflow_type = ANY($5::text[]))
           ORDER BY created_at, id
           FOR UPDATE`,
          [
            input.webhookId,
            input.matchKeys,
            input.temporalNamespace,
            cutoff,
            input.workflowTypes ?? null,
            input.eventId,
          ],
        );
        const chosen = candidates.rows.filter((row) => input.accepts({ condition: row.condition, vars: row.vars }));
        if (chosen.length === 0) return [];
        // The state is checked again here too: a claim never takes a wait a delivery of another event holds.
        // Another attempt of the same event may hold it (its ingress died, or it is signaling too): the
        // same event is signaled again, and the run takes one delivery per wait.
        const updated = await client.query<{ id: string }>(
          `UPDATE waits SET state = 'claimed', delivery_id = $2, event_id = $3, claimed_at = $4, updated_at = $4
           WHERE id = ANY($1::uuid[]) AND (state = 'open' OR (state = 'claimed' AND (claimed_at < $5 OR event_id = $3)))
           RETURNING id`,
          [chosen.map((row) => row.id), input.deliveryId, input.eventId, input.now, cutoff],
        );
        const taken = new Set(updated.rows.map((row) => row.id));
        return chosen
          .filter((row) => taken.has(row.id))
          .map((row) => ({ id: row.id, workflowId: row.workflow_id, runId: row.run_id }));
      });
    },

    async markSignaled({ deliveryId, eventId }, waitIds) {
      if (waitIds.length === 0) return;
      await db.query(
        `UPDATE waits SET state = 'signaled', updated_at = now() WHERE id = ANY($1::uuid[]) AND (delivery_id = $2 OR event_id = $3) AND state = 'claimed'`,
        [waitIds, deliveryId, eventId],
      );
    },

    async reopen(deliveryId, waitIds) {
      if (waitIds.length === 0) return;
      await db.query(
        `UPDATE waits SET state = 'open', delivery_id = NULL, event_id = NULL, claimed_at = NULL, updated_at = now()
         WHERE id = ANY($1::uuid[]) AND delivery_id = $2 AND state = 'claimed'`,
        [waitIds, deliveryId],
      );
    },

    async markStale(deliveryId, waitIds, reason) {
      if (waitIds.length === 0) return;
      await db.query(
        `UPDATE waits SET state = 'stale', reason = $3, updated_at = now()
         WHERE id = ANY($1::uuid[]) AND ${LIVE} AND ($2::uuid IS NULL OR delivery_id = $2 OR delivery_id IS NULL)`,
        [waitIds, deliveryId, reason.slice(0, 1000)],
      );
    },

    async takeExpiredClaims(temporalNamespace, now, limit) {
      // SKIP LOCKED: a claim an ingress is taking over right now is left to it.
      const result = await db.query<{ id: string; workflow_id: string; run_id: string; delivery_id: string }>(
        `UPDATE waits SET claimed_at = $2, updated_at = $2
         WHERE id IN (SELECT id FROM waits WHERE temporal_namespace = $1 AND state = 'claimed' AND claimed_at < $3 ORDER BY claimed_at LIMIT $4 FOR UPDATE SKIP LOCKED)
           AND state = 'claimed' AND claimed_at < $3
         RETURNING id, workflow_id, run_id, delivery_id`,
        [temporalNamespace, now, new Date(now.getTime() - CLAIM_TIMEOUT_MS), limit],
      );
      const deliveries = new Map<string, WebhookDelivery | null>();
      for (const row of result.rows)
        if (!deliveries.has(row.delivery_id)) deliveries.set(row.delivery_id, await deliveryOf(db, row.delivery_id));
      return result.rows.map((row) => ({
        id: row.id,
        workflowId: row.workflow_id,
        runId: row.run_id,
        deliveryId: row.delivery_id,
        delivery: deliveries.get(row.delivery_id) ?? null,
      }));
    },

    async listOpen(webhookId, page) {
      if (!isUuid(webhookId)) return { items: [], nextCursor: null };
      const { rows, nextCursor } = await keysetPage<WaitRow>(db, {
        table: 'waits',
        columns: WAIT_COLUMNS,
        timeColumn: 'created_at',
        where: `webhook_id = $1 AND ${LIVE}`,
        params: [webhookId],
        order: 'oldest first',
        page: { limit: page.limit, cursor: page.after },
      });
      return { items: rows.map(toWait), nextCursor };
    },

    async liveNotCheckedSince(temporalNamespace, before, limit) {
      const result = await db.query<WaitRow>(
        `SELECT ${WAIT_COLUMNS} FROM waits WHERE temporal_namespace = $1 AND ${LIVE} AND updated_at < $2 ORDER BY updated_at LIMIT $3`,
        [temporalNamespace, before, limit],
      );
      return result.rows.map((row) => ({ id: row.id, workflowId: row.workflow_id, runId: row.run_id }));
    },

    async touch(waitIds, now) {
      if (waitIds.length === 0) return;
      await db.query(`UPDATE waits SET updated_at = $2 WHERE id = ANY($1::uuid[]) AND ${LIVE}`, [waitIds, now]);
    },

    async countLive() {
      const result = await db.query<{ state: string; n: number }>(
        `SELECT state, count(*)::int AS n FROM waits WHERE state IN ('open', 'claimed') GROUP BY state`,
      );
      const of = (state: string) => result.rows.find((r) => r.state === state)?.n ?? 0;
      return { open: of('open'), claimed: of('claimed') };
    },

    async purge(now) {
      const ago = (ms: number) => new Date(now.getTime() - ms);
      const payloads = await db.query('DELETE FROM delivery_payloads WHERE expires_at <= $1', [now]);
      const expired = await db.query(
        `UPDATE waits SET state = 'stale', reason = 'past its timeout and not removed by its run', updated_at = $1 WHERE state = 'open' AND timeout_at < $2`,
        [now, ago(TIMEOUT_GRACE_MS)],
      );
      // A resolved wait records that its workflow consumed the event: kept while the event's payload is.
      const waits = await db.query(
        `DELETE FROM waits w WHERE (w.state = 'stale' AND w.updated_at < $1)
           OR (w.state = 'signaled' AND w.updated_at < $2
               AND NOT EXISTS (SELECT 1 FROM delivery_payloads p WHERE p.webhook_id = w.webhook_id AND p.event_id = w.event_id))`,
        [ago(3600_000), ago(RESOLVED_RETENTION_MS)],
      );
      await db.query(
        `DELETE FROM wait_path_sets ps WHERE last_used_at < $1
           AND NOT EXISTS (SELECT 1 FROM waits w WHERE w.webhook_id = ps.webhook_id AND w.path_set = ps.path_set AND w.${LIVE})`,
        [ago(3600_000)],
      );
      return { payloads: payloads.rowCount ?? 0, waits: waits.rowCount ?? 0, expired: expired.rowCount ?? 0 };
    },
  };
}
