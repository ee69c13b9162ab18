/**
 * The delivery history (`deliveries`, one row per inbound request) and the dedup keys that make
 * the ingress idempotent (`dedup_keys`, who holds a (webhook, event id) until when).
 */
import { createHash, randomUUID } from 'node:crypto';
import { TempohookError } from '../errors';
import type {
  Db,
  DeliveriesRepository,
  DeliveryFilter,
  DeliveryOutcome,
  DeliveryRecord,
  KeptPayloadInput,
  RouteActionRecord,
  RouteRecording,
} from './types';
import type { QueryResultRow } from 'pg';
import { checkPageLimit, keysetPage } from './keyset-page';
import { createSecretCipher, type SecretCipher } from './secret-cipher';
import { isUuid } from './sql';

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string | null;
  source_event: string | null;
  received_at: Date;
  http_status: number | null;
  outcome: DeliveryOutcome;
  reason: string | null;
  workflow_id: string | null;
  run_id: string | null;
  duplicate_of: string | null;
  actions: RouteActionRecord[] | null;
  replay_of: string | null;
}

const COLUMNS =
  'id, webhook_id, event_id, source_event, received_at, http_status, outcome, reason, workflow_id, run_id, duplicate_of, actions, replay_of';

/** Route results that stand for the event: a retry redoes every other route. */
const RECORDED_ROUTE_STATUS: Partial<Record<RouteActionRecord['status'], 'done' | 'failed'>> = {
  started: 'done',
  signaled: 'done',
  already_started: 'done',
  failed: 'failed',
};

/**
 * A timestamp parameter of a hot statement (cast to timestamptz there): the ISO form costs less
 * than pg's own Date formatting (local time with offset), and means the same instant.
 */
const timestamp = (at: Date): Date | string => (Number.isNaN(at.getTime()) ? at : at.toISOString());

/** Longest `reason` kept. */
const MAX_REASON_LENGTH = 1000;

function toRecord(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    sourceEvent: row.source_event,
    receivedAt: row.received_at,
    httpStatus: row.http_status,
    outcome: row.outcome,
    reason: row.reason,
    workflowId: row.workflow_id,
    runId: row.run_id,
    duplicateOf: row.duplicate_of,
    actions: row.actions,
    replayOf: row.replay_of ?? null,
  };
}

/*
 * The claim always returns the key's current holder: the new delivery's id when the key was
 * free or expired, the earlier holder's otherwise. ON CONFLICT waits for a concurrent claimer
 * to commit and then reads its row, so of N identical calls exactly one sees its own id. The
 * holder's delivery row comes back in the same statement when the statement's snapshot has it
 * (the holder committed before this statement began: every repeat that is not concurrent with
 * its original); otherwise a fresh statement reads it.
 */
const reserveStatement = (keep: boolean) => `
  WITH claim AS (
    INSERT INTO dedup_keys AS k (webhook_id, event_id, delivery_id, expires_at)
    VALUES ($1::uuid, $2::text, $3::uuid, $4::timestamptz)
    ON CONFLICT (webhook_id, event_id) DO UPDATE SET
      delivery_id = CASE WHEN k.expires_at <= $5::timestamptz THEN EXCLUDED.delivery_id ELSE k.delivery_id END,
      expires_at  = CASE WHEN k.expires_at <= $5::timestamptz THEN EXCLUDED.expires_at  ELSE k.expires_at END
    RETURNING k.delivery_id
  ), inserted AS (
    INSERT INTO deliveries (id, webhook_id, event_id, source_event, received_at, http_status, outcome, duplicate_of, replay_of, replay_job_id)
    SELECT $3::uuid, $1::uuid, $2::text, $6::text, $5::timestamptz,
           CASE WHEN claim.delivery_id = $3 THEN NULL ELSE 202 END,
           CASE WHEN claim.delivery_id = $3 THEN 'pending' ELSE 'duplicate' END,
           NULLIF(claim.delivery_id, $3::uuid), $7::uuid, ${keep ? '$12::uuid' : 'NULL'}
    FROM claim
    RETURNING ${COLUMNS}
  )${
    keep
      ? `, kept AS (
    INSERT INTO delivery_bodies (delivery_id, webhook_id, received_at, content_type, body, headers, key_id)
    SELECT id, webhook_id, received_at, $8::text, $9::bytea, $10::bytea, $11::text FROM inserted
    WHERE $9::bytea IS NOT NULL
  )`
      : ''
  }
  SELECT inserted.*, ${COLUMNS.split(', ')
    .map((column) => `o.${column} AS original_${column}`)
    .join(', ')},
    (SELECT json_agg(json_build_object('route', r.route, 'action', r.action, 'status', r.status,
                     'workflowId', r.workflow_id, 'runId', r.run_id, 'reason', r.reason))
     FROM route_actions r
     WHERE r.webhook_id = $1::uuid AND r.event_id = $2::text AND r.expires_at > $5::timestamptz) AS earlier_routes
  FROM inserted LEFT JOIN deliveries o ON o.id = inserted.duplicate_of`;
const RESERVE = reserveStatement(false);
/**
 * RESERVE that also keeps the request ($8 content type, $9 body, $10 headers, $11 key id; none when
 * $9 is null) in the same statement, and names a replay's bulk job ($12).
 */
const RESERVE_KEEPING = reserveStatement(true);

/** What earlier deliveries of the event recorded per route (RESERVE's `earlier_routes`). */
function earlierRoutesOf(row: Record<string, unknown>): RouteActionRecord[] {
  const recorded = (row.earlier_routes ?? []) as Array<
    Omit<RouteActionRecord, 'status'> & { status: 'done' | 'failed' }
  >;
  return recorded.map((r) => ({ ...r, status: r.status === 'done' ? 'skipped' : 'failed' }));
}

/**
 * The statement part that records what a delivery's routes did (see DeliveriesRepository.complete):
 * per (webhook, event, route) the routes done or failed for good; a route once done stays done
 * until its window has passed. Appends its parameters to `values`.
 */
function routeRecordingPart(values: unknown[], deliveryParam: string, routes: RouteRecording): string | undefined {
  const kept = routes.actions.filter((a) => RECORDED_ROUTE_STATUS[a.status] !== undefined);
  if (kept.length === 0 || !isUuid(routes.webhookId)) return undefined;
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const [webhook, event, expires, now] = [routes.webhookId, routes.eventId, routes.expiresAt, routes.now].map(param);
  const [route, action, status, workflowId, runId, reason] = [
    kept.map((a) => a.route),
    kept.map((a) => a.action),
    kept.map((a) => RECORDED_ROUTE_STATUS[a.status]!),
    kept.map((a) => a.workflowId),
    kept.map((a) => a.runId),
    kept.map((a) => (a.reason ? a.reason.slice(0, MAX_REASON_LENGTH) : null)),
  ].map(param);
  return `INSERT INTO route_actions AS r (webhook_id, event_id, route, action, status, workflow_id, run_id, reason, delivery_id, expires_at)
    SELECT ${webhook}::uuid, ${event}::text, a.route, a.action, a.status, a.workflow_id, a.run_id, a.reason, ${deliveryParam}::uuid, ${expires}::timestamptz
    FROM unnest(${route}::text[], ${action}::text[], ${status}::text[], ${workflowId}::text[], ${runId}::text[], ${reason}::text[])
      AS a(route, action, status, workflow_id, run_id, reason)
    WHERE EXISTS (SELECT 1 FROM webhooks w WHERE w.id = ${webhook}::uuid)
    ON CONFLICT (webhook_id, event_id, route) DO UPDATE SET
      status = EXCLUDED.status, workflow_id = EXCLUDED.workflow_id, run_id = EXCLUDED.run_id,
      reason = EXCLUDED.reason, delivery_id = EXCLUDED.delivery_id, expires_at = EXCLUDED.expires_at
    WHERE r.status <> 'done' OR r.expires_at <= ${now}::timestamptz`;
}

/** The original's columns of a RESERVE row (prefixed `original_`), when the statement saw it. */
function originalOf(row: Record<string, unknown>): DeliveryRecord | null {
  if (row.original_id === null || row.original_id === undefined) return null;
  const original: Record<string, unknown> = {};
  for (const column of COLUMNS.split(', ')) original[column] = row[`original_${column}`];
  return toRecord(original as unknown as DeliveryRow);
}

/** The WHERE of a delivery-log search of one webhook (indexes: 009_delivery_search.sql). */
export function filterClause(webhookId: string, filter: DeliveryFilter): { where: string; params: unknown[] } {
  const params: unknown[] = [webhookId];
  const clauses = ['webhook_id = $1'];
  const add = (sql: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    clauses.push(sql(`$${params.length}`));
  };
  if (filter.outcomes && filter.outcomes.length > 0) add((p) => `outcome = ANY(${p}::text[])`, [...filter.outcomes]);
  if (filter.httpStatus !== undefined) add((p) => `http_status = ${p}::int`, filter.httpStatus);
  if (filter.eventId !== undefined) add((p) => `event_id = ${p}::text`, filter.eventId);
  if (filter.workflowId !== undefined) add((p) => `workflow_id = ${p}::text`, filter.workflowId);
  if (filter.since) add((p) => `received_at >= ${p}::timestamptz`, filter.since);
  if (filter.until) add((p) => `received_at < ${p}::timestamptz`, filter.until);
  return { where: clauses.join(' AND '), params };
}

export interface DeliveriesRepositoryOptions {
  /** TEMPOHOOK_SECRET_KEY: kept payloads are sealed with it (AES-256-GCM); omit to keep them in clear. */
  encryptionKey?: string | Buffer | undefined;
  /**
   * Runs the hot path's statements (the reservation, the outcome) as named prepared statements:
   * each connection parses and plans them once instead of on every delivery. Off on the embedded
   * database, whose one session shares named statements between all its connections.
   */
  prepared?: boolean | undefined;
}

/** Distinct statement texts prepared by name at most (the outcome's text varies with what it records). */
const MAX_PREPARED = 64;

/** A kept payload's columns as stored: sealed per delivery when a key is configured. */
interface StoredPayload {
  contentType: string | null;
  body: Buffer;
  headers: Buffer;
  keyId: string | null;
}

/** Creates the deliveries repository over `db`. */
export function createDeliveriesRepository(db: Db, options: DeliveriesRepositoryOptions = {}): DeliveriesRepository {
  const cipher: SecretCipher | null =
    options.encryptionKey === undefined ? null : createSecretCipher(options.encryptionKey);
  // Bound to the delivery: sealed bytes copied under another delivery do not open.
  const sealContext = (deliveryId: string, part: 'body' | 'headers') => `payload of delivery ${deliveryId} (${part})`;

  function stored(deliveryId: string, payload: KeptPayloadInput): StoredPayload {
    const headers = Buffer.from(JSON.stringify(payload.headers), 'utf8');
    if (!cipher) return { contentType: payload.contentType, body: payload.body, headers, keyId: null };
    return {
      contentType: payload.contentType,
      body: cipher.seal(payload.body, sealContext(deliveryId, 'body')),
      headers: cipher.seal(headers, sealContext(deliveryId, 'headers')),
      keyId: cipher.keyId,
    };
  }

  function opened(deliveryId: string, keyId: string | null, part: 'body' | 'headers', bytes: Buffer): Buffer {
    if (keyId === null) return bytes;
    if (!cipher)
      throw new TempohookError(
        'secret_key_missing',
        `The payload of delivery ${deliveryId} is encrypted but no TEMPOHOOK_SECRET_KEY is configured; set the key it was written with.`,
        500,
      );
    return cipher.open(bytes, sealContext(deliveryId, part), keyId);
  }

  const names = new Map<string, string>();
  /** A hot-path statement, by name when `prepared` (see DeliveriesRepositoryOptions). */
  const hot = <R extends QueryResultRow>(text: string, values: unknown[]) => {
    if (!options.prepared) return db.query<R>(text, values);
    let name = names.get(text);
    if (name === undefined && names.size < MAX_PREPARED) {
      name = `tempohook_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      names.set(text, name);
    }
    return name === undefined ? db.query<R>(text, values) : db.query<R>({ name, text, values });
  };

  async function get(id: string): Promise<DeliveryRecord | null> {
    if (!isUuid(id)) return null;
    const result = await db.query<DeliveryRow>(`SELECT ${COLUMNS} FROM deliveries WHERE id = $1`, [id]);
    return result.rows[0] ? toRecord(result.rows[0]) : null;
  }

  return {
    get,

    async reserve({ webhookId, eventId, sourceEvent, receivedAt, windowSeconds, payload, replayOf, replayJobId }) {
      if (!Number.isFinite(windowSeconds) || windowSeconds < 0) {
        throw new TempohookError(
          'invalid_argument',
          `The dedup window must be zero or more seconds, not ${windowSeconds}.`,
          500,
        );
      }
      const id = randomUUID();
      const expiresAt = new Date(receivedAt.getTime() + windowSeconds * 1000);
      const params: unknown[] = [
        webhookId,
        eventId,
        id,
        timestamp(expiresAt),
        timestamp(receivedAt),
        sourceEvent,
        replayOf ?? null,
      ];
      // A bulk replay that keeps nothing (rare) carries $8…$12 too; the plain statement stays the hot path's.
      const keeping = payload !== undefined || replayJobId !== undefined;
      if (keeping) {
        const kept = payload ? stored(id, payload) : undefined;
        params.push(kept?.contentType ?? null, kept?.body ?? null, kept?.headers ?? null, kept?.keyId ?? null);
        params.push(replayJobId ?? null);
      }
      const result = await hot<DeliveryRow>(keeping ? RESERVE_KEEPING : RESERVE, params);
      const row = result.rows[0]!;
      const delivery = toRecord(row);
      const earlierRoutes = earlierRoutesOf(row as unknown as Record<string, unknown>);
      if (delivery.duplicateOf === null) return { reserved: true, delivery, earlierRoutes };
      // Concurrent with its original: a fresh statement sees the holder's committed row.
      const original = originalOf(row as unknown as Record<string, unknown>) ?? (await get(delivery.duplicateOf));
      if (!original) {
        throw new TempohookError(
          'delivery_not_found',
          `Delivery ${delivery.duplicateOf}, which holds event ${eventId}, disappeared while being read; the webhook was probably deleted.`,
          409,
        );
      }
      return { reserved: false, delivery, original, earlierRoutes };
    },

    async complete(id, result, options = {}) {
      if (!isUuid(id)) return;
      const sets = ['outcome = $2', 'http_status = $3'];
      const values: unknown[] = [id, result.outcome, result.httpStatus];
      const optional: Array<[string, string | null | undefined]> = [
        ['workflow_id', result.workflowId],
        ['run_id', result.runId],
        [
          'reason',
          result.reason === undefined || result.reason === null
            ? result.reason
            : result.reason.slice(0, MAX_REASON_LENGTH),
        ],
      ];
      for (const [column, value] of optional) {
        if (value === undefined) continue;
        values.push(value);
        sets.push(`${column} = $${values.length}`);
      }
      const routes = options.routes;
      if (routes) {
        const logged = routes.actions.map((a) =>
          a.reason ? { ...a, reason: a.reason.slice(0, MAX_REASON_LENGTH) } : a,
        );
        values.push(JSON.stringify(logged));
        sets.push(`actions = $${values.length}::jsonb`);
      }
      // One statement whatever it also does: the hot path has one round trip after the start.
      const parts = [`UPDATE deliveries SET ${sets.join(', ')} WHERE id = $1`];
      // Recorded in the statement that frees the key: a retry never finds the key free and the routes unrecorded.
      const recording = routes && routeRecordingPart(values, '$1', routes);
      if (recording) parts.unshift(recording);
      if (options.release) parts.unshift('DELETE FROM dedup_keys WHERE delivery_id = $1');
      const accepted = options.accepted && isUuid(options.accepted.webhookId) ? options.accepted : undefined;
      if (accepted) {
        values.push(accepted.webhookId, timestamp(accepted.at));
        // Committed without waiting for the WAL flush: every delivery of a webhook updates its one
        // status row, and holding that row's lock through a flush serializes them all. What this
        // statement records is bookkeeping after Temporal took the run: lost in a database crash,
        // the row stays `pending`, as when an ingress dies, and a repeat goes on to Temporal. Route
        // records, which spare a retry work, are always flushed.
        const relaxed = recording ? '' : ` AND set_config('synchronous_commit', 'off', true) IS NOT NULL`;
        parts.push(
          `UPDATE webhooks SET verified = true, last_delivery_at = GREATEST(last_delivery_at, $${values.length}::timestamptz),
             deliveries_accepted = deliveries_accepted + 1
           WHERE id = $${values.length - 1}${relaxed}`,
        );
      }
      const last = parts.pop()!;
      const sql = parts.length === 0 ? last : `WITH ${parts.map((part, i) => `s${i} AS (${part})`).join(', ')} ${last}`;
      await hot(sql, values);
    },

    async release(id) {
      if (!isUuid(id)) return;
      // A key taken over by a later delivery (after expiry) names that delivery and stays.
      await db.query('DELETE FROM dedup_keys WHERE delivery_id = $1', [id]);
    },

    async recordUnreserved({
      webhookId,
      eventId,
      sourceEvent,
      receivedAt,
      outcome,
      httpStatus,
      reason,
      payload,
      replayOf,
      replayJobId,
    }) {
      const id = randomUUID();
      const params: unknown[] = [
        id,
        webhookId,
        eventId,
        sourceEvent,
        receivedAt,
        httpStatus,
        outcome,
        reason === null ? null : reason.slice(0, MAX_REASON_LENGTH),
        replayOf ?? null,
        replayJobId ?? null,
      ];
      const insert = `INSERT INTO deliveries (id, webhook_id, event_id, source_event, received_at, http_status, outcome, reason, replay_of, replay_job_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING ${COLUMNS}`;
      let sql = insert;
      if (payload) {
        const kept = stored(id, payload);
        params.push(kept.contentType, kept.body, kept.headers, kept.keyId);
        sql = `WITH inserted AS (${insert}), kept AS (
           INSERT INTO delivery_bodies (delivery_id, webhook_id, received_at, content_type, body, headers, key_id)
           SELECT id, webhook_id, received_at, $11::text, $12::bytea, $13::bytea, $14::text FROM inserted
         ) SELECT * FROM inserted`;
      }
      const result = await db.query<DeliveryRow>(sql, params);
      return toRecord(result.rows[0]!);
    },

    async getPayload(deliveryId) {
      if (!isUuid(deliveryId)) return null;
      const result = await db.query<{
        delivery_id: string;
        received_at: Date;
        content_type: string | null;
        body: Buffer;
        headers: Buffer;
        key_id: string | null;
      }>(
        'SELECT delivery_id, received_at, content_type, body, headers, key_id FROM delivery_bodies WHERE delivery_id = $1',
        [deliveryId],
      );
      const row = result.rows[0];
      if (!row) return null;
      return {
        deliveryId: row.delivery_id,
        receivedAt: row.received_at,
        contentType: row.content_type,
        body: opened(deliveryId, row.key_id, 'body', row.body),
        headers: JSON.parse(opened(deliveryId, row.key_id, 'headers', row.headers).toString('utf8')) as Record<
          string,
          string
        >,
        encrypted: row.key_id !== null,
      };
    },

    async recordUnreservedMany(rows) {
      const valid = rows.filter((row) => isUuid(row.webhookId));
      if (valid.length === 0) return;
      const ids = valid.map(() => randomUUID());
      const kept = valid.map((row, i) => (row.payload ? stored(ids[i]!, row.payload) : null));
      // One statement: the rows (skipping webhooks deleted meanwhile), then each webhook's last
      // error (its newest refusal) and rejected count.
      await db.query(
        `WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::int[], $7::text[], $8::text[],
                                $9::text[], $10::bytea[], $11::bytea[], $12::text[])
             AS r(id, webhook_id, event_id, source_event, received_at, http_status, outcome, reason,
                  content_type, body, headers, key_id)
           WHERE EXISTS (SELECT 1 FROM webhooks w WHERE w.id = r.webhook_id)
         ), inserted AS (
           INSERT INTO deliveries (id, webhook_id, event_id, source_event, received_at, http_status, outcome, reason)
           SELECT id, webhook_id, event_id, source_event, received_at, http_status, outcome, reason FROM input
         ), kept AS (
           INSERT INTO delivery_bodies (delivery_id, webhook_id, received_at, content_type, body, headers, key_id)
           SELECT id, webhook_id, received_at, content_type, body, headers, key_id FROM input WHERE body IS NOT NULL
         )
         UPDATE webhooks w SET last_error = e.last_error, last_error_at = e.at, deliveries_rejected = w.deliveries_rejected + e.n
         FROM (
           SELECT webhook_id, count(*) AS n, max(received_at) AS at,
                  left((array_agg(http_status || ' ' || coalesce(reason, '') ORDER BY received_at DESC))[1], ${MAX_REASON_LENGTH}) AS last_error
           FROM input WHERE outcome IN ('rejected', 'failed') GROUP BY webhook_id
         ) e
         WHERE w.id = e.webhook_id`,
        [
          ids,
          valid.map((row) => row.webhookId),
          valid.map((row) => row.eventId),
          valid.map((row) => row.sourceEvent),
          valid.map((row) => row.receivedAt),
          valid.map((row) => row.httpStatus),
          valid.map((row) => row.outcome),
          valid.map((row) => (row.reason === null ? null : row.reason.slice(0, MAX_REASON_LENGTH))),
          kept.map((k) => k?.contentType ?? null),
          kept.map((k) => k?.body ?? null),
          kept.map((k) => k?.headers ?? null),
          kept.map((k) => k?.keyId ?? null),
        ],
      );
    },

    async list(webhookId, page, filter = {}) {
      if (!isUuid(webhookId)) {
        checkPageLimit(page.limit);
        return { items: [], nextCursor: null };
      }
      const { where, params } = filterClause(webhookId, filter);
      const { rows, nextCursor } = await keysetPage<DeliveryRow>(db, {
        table: 'deliveries',
        columns: COLUMNS,
        timeColumn: 'received_at',
        where,
        params,
        order: 'newest first',
        page,
      });
      return { items: rows.map(toRecord), nextCursor };
    },

    async getInNamespace(namespace, id) {
      if (!isUuid(id)) return null;
      const result = await db.query<DeliveryRow & { webhook_name: string }>(
        `SELECT ${COLUMNS.split(', ')
          .map((column) => `d.${column}`)
          .join(', ')}, w.name AS webhook_name
         FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.id = $1 AND w.namespace = $2`,
        [id, namespace],
      );
      const row = result.rows[0];
      return row ? { delivery: toRecord(row), webhook: row.webhook_name } : null;
    },

    async purgeExpired(now) {
      const result = await db.query('DELETE FROM dedup_keys WHERE expires_at <= $1', [now]);
      await db.query('DELETE FROM route_actions WHERE expires_at <= $1', [now]);
      return result.rowCount ?? 0;
    },
  };
}
