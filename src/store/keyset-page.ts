/**
 * Keyset pagination over (timestamp, id) for the store's listings: stable while rows are added
 * and no OFFSET scans. The opaque cursor holds the last row's exact stored instant (microseconds:
 * a JS Date would round it to milliseconds and skip or repeat rows) and its id.
 */
import { TempohookError } from '../errors';
import { isUuid } from './sql';
import { MAX_PAGE_SIZE, type Db, type PageRequest } from './types';

export interface KeysetQuery {
  table: string;
  /** The selected columns; `id` must be among them. */
  columns: string;
  /** The timestamptz column pages are ordered by (then by id). */
  timeColumn: string;
  /** The filter, with placeholders `$1`…`$n` for `params`. */
  where: string;
  params: unknown[];
  order: 'newest first' | 'oldest first';
  page: PageRequest;
}

/** Refuses a page size outside 1…MAX_PAGE_SIZE (400 invalid_argument). */
export function checkPageLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new TempohookError(
      'invalid_argument',
      `limit must be an integer from 1 to ${MAX_PAGE_SIZE}, not ${limit}.`,
      400,
    );
  }
}

/** One page of rows and the cursor of the next one (null on the last page). */
export async function keysetPage<Row extends { id: string }>(
  db: Db,
  query: KeysetQuery,
): Promise<{ rows: Row[]; nextCursor: string | null }> {
  const { limit, cursor } = query.page;
  checkPageLimit(limit);
  const after = cursor ? decodeCursor(cursor) : null;
  const [direction, comparison] = query.order === 'newest first' ? ['DESC', '<'] : ['ASC', '>'];
  const n = query.params.length;
  const time = query.timeColumn;
  const keyset = after ? ` AND (${time}, id) ${comparison} ($${n + 1}::timestamptz, $${n + 2}::uuid)` : '';
  const result = await db.query<Row & { cursor_at: string }>(
    `SELECT ${query.columns}, to_char(${time} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
     FROM ${query.table} WHERE (${query.where})${keyset}
     ORDER BY ${time} ${direction}, id ${direction} LIMIT $${after ? n + 3 : n + 1}`,
    [...query.params, ...(after ? [after.at, after.id] : []), limit + 1],
  );
  const rows = result.rows.slice(0, limit);
  const last = rows[rows.length - 1];
  return { rows, nextCursor: result.rows.length > limit && last ? encodeCursor(last.cursor_at, last.id) : null };
}

function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id]), 'utf8').toString('base64url');
}

function decodeCursor(text: string): { at: string; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2) {
      const [at, id] = value as unknown[];
      if (
        typeof at === 'string' &&
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(at) &&
        typeof id === 'string' &&
        isUuid(id)
      )
        return { at, id };
    }
  } catch {
    // reported below
  }
  throw new TempohookError('invalid_cursor', 'The cursor is not one this API returned; start again without it.', 400);
}
