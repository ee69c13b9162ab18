/**
 * The outbound delivery log: one `notification_deliveries` row per (event, subscription), with
 * the envelope kept for redelivery, and one `notification_attempts` row per HTTP attempt.
 */
import { storableJson } from './storable-json';
import { keysetPage } from './keyset-page';
import type {
  Db,
  NotificationAttemptRecord,
  NotificationDeliveriesRepository,
  NotificationDeliveryRecord,
  NotificationDeliveryStatus,
} from './types';
import { isUuid } from './sql';

interface DeliveryRow {
  id: string;
  subscription_key: string;
  event_id: string;
  event_type: string;
  envelope: Record<string, unknown>;
  status: NotificationDeliveryStatus;
  attempts: number;
  last_http_status: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

interface AttemptRow {
  attempt: number;
  started_at: Date;
  duration_ms: number;
  http_status: number | null;
  response_body: string | null;
  error: string | null;
}

const COLUMNS =
  'id, subscription_key, event_id, event_type, envelope, status, attempts, last_http_status, last_error, created_at, updated_at';
const MAX_ERROR_LENGTH = 1000;

function toRecord(row: DeliveryRow): NotificationDeliveryRecord {
  return {
    id: row.id,
    subscriptionKey: row.subscription_key,
    eventId: row.event_id,
    eventType: row.event_type,
    envelope: row.envelope,
    status: row.status,
    attempts: row.attempts,
    lastHttpStatus: row.last_http_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function createNotificationDeliveriesRepository(db: Db): NotificationDeliveriesRepository {
  return {
    async ensure({ id, subscriptionKey, envelope }) {
      await db.query(
        `INSERT INTO notification_deliveries (id, subscription_key, event_id, event_type, envelope) VALUES ($1, $2, $3, $4, $5::jsonb)
         ON CONFLICT (id) DO NOTHING`,
        [id, subscriptionKey, envelope.id, envelope.type, storableJson(envelope)],
      );
    },

    async recordAttempt(id, attempt, status) {
      const error = attempt.error?.slice(0, MAX_ERROR_LENGTH) ?? null;
      await db.query(
        `WITH attempt AS (
           INSERT INTO notification_attempts (delivery_id, attempt, started_at, duration_ms, http_status, response_body, error)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
         )
         UPDATE notification_deliveries SET attempts = GREATEST(attempts, $2), status = $8, last_http_status = $5, last_error = $7, updated_at = now()
         WHERE id = $1`,
        [
          id,
          attempt.attempt,
          attempt.startedAt,
          Math.round(attempt.durationMs),
          attempt.httpStatus,
          attempt.responseBody,
          error,
          status,
        ],
      );
    },

    async finish(id, status, error) {
      await db.query(
        `UPDATE notification_deliveries SET status = $2, last_error = COALESCE($3, last_error), updated_at = now(), outbox_state = NULL, claimed_until = NULL
         WHERE id = $1`,
        [id, status, error?.slice(0, MAX_ERROR_LENGTH) ?? null],
      );
    },

    async get(id) {
      if (!isUuid(id)) return null;
      const result = await db.query<DeliveryRow>(`SELECT ${COLUMNS} FROM notification_deliveries WHERE id = $1`, [id]);
      return result.rows[0] ? toRecord(result.rows[0]) : null;
    },

    async attempts(id) {
      if (!isUuid(id)) return [];
      const result = await db.query<AttemptRow>(
        'SELECT attempt, started_at, duration_ms, http_status, response_body, error FROM notification_attempts WHERE delivery_id = $1 ORDER BY started_at, attempt',
        [id],
      );
      return result.rows.map((row): NotificationAttemptRecord => ({
        attempt: row.attempt,
        startedAt: row.started_at,
        durationMs: row.duration_ms,
        httpStatus: row.http_status,
        responseBody: row.response_body,
        error: row.error,
      }));
    },

    async list(subscriptionKey, page) {
      const { rows, nextCursor } = await keysetPage<DeliveryRow>(db, {
        table: 'notification_deliveries',
        columns: COLUMNS,
        timeColumn: 'created_at',
        where: 'subscription_key = $1',
        params: [subscriptionKey],
        order: 'newest first',
        page,
      });
      return { items: rows.map(toRecord), nextCursor };
    },
  };
}
