/**
 * Secret resources in the `secrets` table. With an encryption key every write is encrypted
 * (AES-256-GCM, see secret-cipher.ts) and `encrypted` is true; without one data is stored as
 * plain JSON. Rows written in clear stay readable after a key is configured and are encrypted
 * on their next put.
 */
import { TempohookError } from '../errors';
import { createSecretCipher, type EncryptedEnvelope, type SecretCipher } from './secret-cipher';
import type { Db, SecretRecord, SecretsRepository } from './types';
import { namedResourceReads } from './sql';
import { notifyChange, type ResourceChange } from './change-feed';

export interface SecretsRepositoryOptions {
  /** 32 bytes as base64 or hex (TEMPOHOOK_SECRET_KEY); omit to store data unencrypted. */
  encryptionKey?: string | Buffer;
}

interface SecretRow {
  namespace: string;
  name: string;
  data: Record<string, string> | EncryptedEnvelope;
  encrypted: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'namespace, name, data, encrypted, created_at, updated_at';

/**
 * Creates the secrets repository over `db`. Puts and deletes are announced (by default
 * `notifyChange` on `db`), so the ingress's cached secret reads drop them.
 */
export function createSecretsRepository(
  db: Db,
  options: SecretsRepositoryOptions = {},
  announce: (change: ResourceChange) => Promise<void> = (change) => notifyChange(db, change),
): SecretsRepository {
  const cipher: SecretCipher | null =
    options.encryptionKey === undefined ? null : createSecretCipher(options.encryptionKey);

  function toRecord(row: SecretRow): SecretRecord {
    let data: Record<string, string>;
    if (row.encrypted) {
      if (!cipher) {
        throw new TempohookError(
          'secret_key_missing',
          `Secret ${row.namespace}/${row.name} is encrypted but no TEMPOHOOK_SECRET_KEY is configured; set the key it was written with.`,
          500,
        );
      }
      data = JSON.parse(cipher.decrypt(row.data as EncryptedEnvelope, row)) as Record<string, string>;
    } else {
      data = row.data as Record<string, string>;
    }
    return { namespace: row.namespace, name: row.name, data, createdAt: row.created_at, updatedAt: row.updated_at };
  }

  return {
    ...namedResourceReads<SecretRow, ReturnType<typeof toRecord>>(db, 'secrets', COLUMNS, toRecord),
    async put(namespace, name, data) {
      assertSecretData(namespace, name, data);
      const stored = cipher ? cipher.encrypt(JSON.stringify(data), { namespace, name }) : data;
      const result = await db.query<SecretRow>(
        `INSERT INTO secrets (namespace, name, data, encrypted) VALUES ($1, $2, $3::jsonb, $4)
         ON CONFLICT (namespace, name) DO UPDATE SET data = EXCLUDED.data, encrypted = EXCLUDED.encrypted, updated_at = now()
         RETURNING created_at, updated_at`,
        [namespace, name, JSON.stringify(stored), cipher !== null],
      );
      const row = result.rows[0]!;
      await announce({ kind: 'secret', namespace, name });
      return { namespace, name, data: { ...data }, createdAt: row.created_at, updatedAt: row.updated_at };
    },

    async delete(namespace, name) {
      const result = await db.query('DELETE FROM secrets WHERE namespace = $1 AND name = $2', [namespace, name]);
      const deleted = (result.rowCount ?? 0) > 0;
      if (deleted) await announce({ kind: 'secret', namespace, name });
      return deleted;
    },
  };
}

function assertSecretData(namespace: string, name: string, data: Record<string, string>): void {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new TempohookError(
      'invalid_secret',
      `Secret ${namespace}/${name}: data must be an object of key → string value.`,
      400,
    );
  }
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string')
      throw new TempohookError(
        'invalid_secret',
        `Secret ${namespace}/${name}: the value of "${key}" must be a string.`,
        400,
      );
  }
}
