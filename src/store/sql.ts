/**
 * Small helpers every repository writes SQL with: the uuid guard in front of uuid columns,
 * identifier quoting, and one transaction on one connection. Imports nothing of the store, so
 * any repository (and the pagination) can use it without a circle.
 */
import type { Pool, PoolClient } from 'pg';

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
