/**
 * Encryption at rest for Secret data: AES-256-GCM with a fresh 96-bit nonce per write, the
 * secret's namespace and name as associated data (a row copied under another name does not
 * decrypt), and a key fingerprint so a wrong key is reported as such rather than as garbage.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { TempohookError } from '../errors';

/** What an encrypted `secrets.data` holds. All binary fields are base64url. */
export interface EncryptedEnvelope {
  v: 1;
  alg: 'A256GCM';
  /** Fingerprint of the key that wrote it (first 8 bytes of its SHA-256, hex). */
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

/** The secret an envelope belongs to; bound into the ciphertext as associated data. */
export interface SecretIdentity {
  namespace: string;
  name: string;
}

export interface SecretCipher {
  /** Fingerprint of this key; safe to show. */
  readonly keyId: string;
  encrypt(plaintext: string, secret: SecretIdentity): EncryptedEnvelope;
  /** Throws `secret_key_mismatch` when the envelope was written with another key or was altered. */
  decrypt(envelope: EncryptedEnvelope, secret: SecretIdentity): string;
  /**
   * Seals bytes bound to `context` (e.g. `payload/<deliveryId>`): a 12-byte nonce, the 16-byte
   * tag, then the ciphertext. The key id goes beside it (`keyId`), as the caller stores it.
   */
  seal(plaintext: Buffer, context: string): Buffer;
  /** Opens what `seal` wrote for the same context; throws `secret_key_mismatch` for another key or altered bytes. */
  open(sealed: Buffer, context: string, keyId: string): Buffer;
}

// NUL cannot occur in a PostgreSQL text value, so the associated data is unambiguous.
const associatedData = ({ namespace, name }: SecretIdentity) =>
  Buffer.from(`tempohook/secret/v1\0${namespace}\0${name}`, 'utf8');

const HOW_TO_MAKE_A_KEY = 'Generate one with `openssl rand -base64 32`.';

/** Decodes a 32-byte key given as 64 hex characters or as base64/base64url. */
export function parseSecretKey(key: string | Buffer): Buffer {
  if (Buffer.isBuffer(key)) {
    if (key.length !== 32)
      throw new TempohookError(
        'secret_key_invalid',
        `TEMPOHOOK_SECRET_KEY must be 32 bytes; this one is ${key.length}. ${HOW_TO_MAKE_A_KEY}`,
        500,
      );
    return key;
  }
  const text = key.trim();
  let bytes: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(text)) bytes = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(text))
    bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (!bytes || bytes.length !== 32) {
    throw new TempohookError(
      'secret_key_invalid',
      `TEMPOHOOK_SECRET_KEY must be 32 bytes written as base64 (44 characters) or hex (64 characters). ${HOW_TO_MAKE_A_KEY}`,
      500,
    );
  }
  return bytes;
}

/** Builds the cipher for `key` (see {@link parseSecretKey} for accepted forms). */
export function createSecretCipher(key: string | Buffer): SecretCipher {
  const keyBytes = parseSecretKey(key);
  const keyId = createHash('sha256').update(keyBytes).digest().subarray(0, 8).toString('hex');
  return {
    keyId,
    encrypt(plaintext, secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyBytes, iv);
      cipher.setAAD(associatedData(secret));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return {
        v: 1,
        alg: 'A256GCM',
        kid: keyId,
        iv: iv.toString('base64url'),
        tag: cipher.getAuthTag().toString('base64url'),
        ct: ct.toString('base64url'),
      };
    },
    decrypt(envelope, secret) {
      const label = `${secret.namespace}/${secret.name}`;
      if (envelope?.v !== 1 || envelope.alg !== 'A256GCM') {
        throw new TempohookError(
          'secret_unreadable',
          `Secret ${label} is stored in an unknown format; put it again.`,
          500,
        );
      }
      if (envelope.kid !== keyId) {
        throw new TempohookError(
          'secret_key_mismatch',
          `Secret ${label} was encrypted with another TEMPOHOOK_SECRET_KEY (key id ${envelope.kid}; the configured key is ${keyId}). Configure the key it was written with, or put the secret again.`,
          500,
        );
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyBytes, Buffer.from(envelope.iv, 'base64url'));
        decipher.setAAD(associatedData(secret));
        decipher.setAuthTag(Buffer.from(envelope.tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new TempohookError(
          'secret_key_mismatch',
          `Secret ${label} does not decrypt with the configured TEMPOHOOK_SECRET_KEY: it was altered or copied from another secret. Put the secret again.`,
          500,
        );
      }
    },
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyBytes, iv);
      cipher.setAAD(Buffer.from(`tempohook/sealed/v1\0${context}`, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), ct]);
    },
    open(sealed, context, sealedWith) {
      if (sealedWith !== keyId)
        throw new TempohookError(
          'secret_key_mismatch',
          `${context} was encrypted with another TEMPOHOOK_SECRET_KEY (key id ${sealedWith}; the configured key is ${keyId}).`,
          500,
        );
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyBytes, sealed.subarray(0, 12));
        decipher.setAAD(Buffer.from(`tempohook/sealed/v1\0${context}`, 'utf8'));
        decipher.setAuthTag(sealed.subarray(12, 28));
        return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
      } catch {
        throw new TempohookError(
          'secret_key_mismatch',
          `${context} does not decrypt with the configured TEMPOHOOK_SECRET_KEY: it was altered or copied.`,
          500,
        );
      }
    },
  };
}
