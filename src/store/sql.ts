/**
 * Small helpers every repository writes SQL with: the uuid guard in front of uuid columns,
 * identifier quoting, and one transaction on one connection. Imports nothing of the store, so
 * any repository (and the pagination) can use it without a circle.
 */
import type { Pool, PoolClient, QueryResultRow } from 'pg';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `id` is a uuid; anything else cannot name a row and must not reach a uuid column. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** Double-quotes an SQL identifier. */
export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/**
 * Runs `fn` inside BEGIN/COMMIT on one checked-out connection; rolls back and rethrows on error.
 * Never query `db` itself inside `fn`: on a pool of one connection that waits forever.
 */
export async function withTransaction<T>(db: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * `get(namespace, name)` and `list(namespace?)` over a table of named resources keyed by
 * (namespace, name): the reads every resource repository shares.
 */
export function namedResourceReads<Row extends QueryResultRow, R>(
  db: Pool,
  table: string,
  columns: string,
  toRecord: (row: Row) => R,
): { get(namespace: string, name: string): Promise<R | null>; list(namespace?: string): Promise<R[]> } {
  return {
    async get(namespace, name) {
      const sql = `SELECT ${columns} FROM ${table} WHERE namespace = $1 AND name = $2`;
      const result = await db.query<Row>(sql, [namespace, name]);
      return result.rows[0] ? toRecord(result.rows[0]) : null;
    },
    async list(namespace) {
      const result =
        namespace === undefined
          ? await db.query<Row>(`SELECT ${columns} FROM ${table} ORDER BY namespace, name`)
          : await db.query<Row>(`SELECT ${columns} FROM ${table} WHERE namespace = $1 ORDER BY name`, [namespace]);
      return result.rows.map(toRecord);
    },
  };
}
