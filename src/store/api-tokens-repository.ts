/**
 * API tokens of the management API (`/v1/tokens`) in the `api_tokens` table. A token's value is
 * `thk_` and 32 random bytes (base64url): returned once by `create`, stored only as its SHA-256,
 * and authenticated by looking that hash up in one indexed statement per request, so revoking
 * (deleting the row) or expiry takes effect on every replica at the next request.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { TempohookError } from '../errors';
import {
  API_TOKEN_ROLES,
  type ApiTokenRecord,
  type ApiTokenRole,
  type ApiTokensRepository,
  type CreateApiTokenInput,
  type Db,
} from './types';

export { API_TOKEN_ROLES, type ApiTokenRecord, type ApiTokenRole, type ApiTokensRepository, type CreateApiTokenInput };

/** The prefix of every API token's value: secret scanners and people can spot one. */
export const API_TOKEN_PREFIX = 'thk_';

/** The stored form of a token's value. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when `value` has the shape of an API token (worth a look-up). */
export function looksLikeApiToken(value: string): boolean {
  return value.startsWith(API_TOKEN_PREFIX) && /^thk_[A-Za-z0-9_-]{43}$/.test(value);
}

interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  role: ApiTokenRole;
  namespaces: string[] | null;
  expires_at: Date | null;
  created_by: string;
  created_at: Date;
}

const COLUMNS = 'id, name, prefix, role, namespaces, expires_at, created_by, created_at';

function toRecord(row: TokenRow): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role,
    namespaces: row.namespaces,
    expiresAt: row.expires_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

/** Creates the API tokens repository over `db`. */
export function createApiTokensRepository(db: Db): ApiTokensRepository {
  return {
    async create(input) {
      const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      try {
        const result = await db.query<TokenRow>(
          `INSERT INTO api_tokens (id, name, token_hash, prefix, role, namespaces, expires_at, created_by)
           VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8) RETURNING ${COLUMNS}`,
          [
            randomUUID(),
            input.name,
            hashApiToken(token),
            token.slice(0, API_TOKEN_PREFIX.length + 6),
            input.role,
            input.namespaces,
            input.expiresAt,
            input.createdBy,
          ],
        );
        return { record: toRecord(result.rows[0]!), token };
      } catch (err) {
        if ((err as { code?: string }).code === '23505')
          throw new TempohookError(
            'already_exists',
            `A token named "${input.name}" exists; revoke it first (DELETE /v1/tokens/${input.name}) or pick another name.`,
            409,
          );
        throw err;
      }
    },
    async authenticate(token) {
      const result = await db.query<TokenRow>(
        `SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = $1 AND (expires_at IS NULL OR expires_at > now())`,
        [hashApiToken(token)],
      );
      return result.rows[0] ? toRecord(result.rows[0]) : null;
    },
    async get(name) {
      const result = await db.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE name = $1`, [name]);
      return result.rows[0] ? toRecord(result.rows[0]) : null;
    },
    async list() {
      const result = await db.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY name`);
      return result.rows.map(toRecord);
    },
    async delete(name) {
      const result = await db.query('DELETE FROM api_tokens WHERE name = $1', [name]);
      return (result.rowCount ?? 0) > 0;
    },
  };
}
