/**
 * The management API's audit log (`audit_log`): one row per call that changes something, with
 * who made it (a token's name, or `admin`), the route, the resource, its namespace, the answer's
 * status and the request id. Never a token, a secret value or a body. Listed newest first,
 * keyset-paged like the delivery log; purged past its retention by the ingress's periodic job.
 */
import { randomUUID } from 'node:crypto';
import { keysetPage } from './keyset-page';
import type { AuditEntryInput, AuditEntryRecord, AuditFilter, AuditLogRepository, Db } from './types';

export type { AuditEntryInput, AuditEntryRecord, AuditFilter, AuditLogRepository };

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  method: string;
  route: string;
  resource: string | null;
  namespace: string | null;
  status: number;
  request_id: string | null;
}

const COLUMNS = 'id, at, actor, method, route, resource, namespace, status, request_id';

/** Batches one purge call deletes at most; the next periodic run goes on. */
const MAX_PURGE_BATCHES = 100;

/** Creates the audit log repository over `db`. */
export function createAuditLogRepository(db: Db): AuditLogRepository {
  return {
    async record(entry) {
      await db.query(
        `INSERT INTO audit_log (id, actor, method, route, resource, namespace, status, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          randomUUID(),
          entry.actor,
          entry.method,
          entry.route,
          entry.resource,
          entry.namespace,
          entry.status,
          entry.requestId,
        ],
      );
    },
    async list(page, filter = {}) {
      const conditions: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        params.push(value);
        conditions.push(sql.replace('?', `$${params.length}`));
      };
      if (filter.actor !== undefined) add('actor = ?', filter.actor);
      if (filter.namespace !== undefined) add('namespace = ?', filter.namespace);
      if (filter.since) add('at >= ?', filter.since);
      if (filter.until) add('at < ?', filter.until);
      const { rows, nextCursor } = await keysetPage<AuditRow>(db, {
        table: 'audit_log',
        columns: COLUMNS,
        timeColumn: 'at',
        where: conditions.length > 0 ? conditions.join(' AND ') : 'true',
        params,
        order: 'newest first',
        page,
      });
      return {
        items: rows.map((row) => ({
          id: row.id,
          at: row.at,
          actor: row.actor,
          method: row.method,
          route: row.route,
          resource: row.resource,
          namespace: row.namespace,
          status: row.status,
          requestId: row.request_id,
        })),
        nextCursor,
      };
    },
    async purge(before, batchSize) {
      let total = 0;
      for (let batch = 0; batch < MAX_PURGE_BATCHES; batch++) {
        const result = await db.query(
          `DELETE FROM audit_log WHERE id IN (
             SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED
           )`,
          [before, batchSize],
        );
        const deleted = result.rowCount ?? 0;
        total += deleted;
        if (deleted < batchSize) break;
      }
      return total;
    },
  };
}
