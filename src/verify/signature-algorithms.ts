/**
 * The ways providers authenticate a delivery: HMAC (most), ECDSA P-256 (SendGrid), Ed25519
 * (Discord) and a plain shared token (GitLab). Each turns a configured secret into a checker;
 * a secret that cannot be used yields `undefined`, never an exception.
 */
import {
  createPrivateKey,
  createPublicKey,
  createVerify,
  sign as signBytes,
  verify as verifyBytes,
  type KeyObject,
} from 'node:crypto';
import { TempohookError } from '../errors';
import {
  decodeBase64,
  decodeHex,
  HMAC_DIGEST_BYTES,
  hmac,
  safeEqual,
  sha256,
  type HmacAlgorithm,
  type SignedContent,
} from './crypto';

/** Checks signatures over one signed content; built once per (secret, content). */
export type SignatureCheck = (signature: Buffer) => boolean;

export interface SignatureAlgorithm {
  /** Decoded signatures of any other length are malformed and never compared. */
  readonly signatureLength?: number;
  /** A checker factory bound to one configured secret, or undefined when the secret is unusable. */
  verifierFor(secret: string): ((content: SignedContent) => SignatureCheck) | undefined;
  /** The sender's side. Throws `TempohookError` when the secret is unusable. */
  sign(secret: string, content: SignedContent): Buffer;
}

/**
 * How the configured secret becomes the HMAC key: `utf8` as is (Stripe keeps its `whsec_`
 * prefix in the key), `base64` decoded (Teams), `whsec` with an optional `whsec_` prefix
 * stripped and the rest base64-decoded (Standard Webhooks, Svix).
 */
export type HmacKeyFormat = 'utf8' | 'base64' | 'whsec';

function hmacKey(secret: string, format: HmacKeyFormat): Buffer | string | undefined {
  if (secret === '') return undefined;
  if (format === 'utf8') return secret;
  return decodeBase64(format === 'whsec' && secret.startsWith('whsec_') ? secret.slice(6) : secret);
}

function unusableSecret(what: string): TempohookError {
  return new TempohookError('secret_invalid', `The signing secret is not ${what}.`, 400);
}

/** HMAC with `hash`, the key taken from the secret as `keyFormat` says. */
export function hmacAlgorithm(hash: HmacAlgorithm, keyFormat: HmacKeyFormat = 'utf8'): SignatureAlgorithm {
  return {
    signatureLength: HMAC_DIGEST_BYTES[hash],
    verifierFor(secret) {
      const key = hmacKey(secret, keyFormat);
      if (key === undefined) return undefined;
      return (content) => {
        const expected = hmac(hash, key, content);
        return (signature) => safeEqual(expected, signature);
      };
    },
    sign(secret, content) {
      const key = hmacKey(secret, keyFormat);
      if (key === undefined) throw unusableSecret(keyFormat === 'utf8' ? 'a non-empty string' : 'valid base64');
      return hmac(hash, key, content);
    },
  };
}

/** HMAC-SHA256 keyed with the secret's UTF-8 bytes: what most providers use. */
export const hmacSha256 = hmacAlgorithm('sha256');

// GitLab strips line breaks from the token it sends; a secret read from a file keeps them.
const withoutLineBreaks = (secret: string): string => secret.replace(/[\r\n]/g, '');

/**
 * A static token sent verbatim (GitLab's `X-Gitlab-Token`). Both sides are hashed before the
 * constant-time compare so that neither the token's length nor its bytes leak through timing.
 */
export const sharedToken: SignatureAlgorithm = {
  verifierFor(secret) {
    const token = withoutLineBreaks(secret);
    if (token === '') return undefined;
    const expected = sha256(token);
    return () => (signature) => safeEqual(expected, sha256(signature));
  },
  sign(secret) {
    const token = withoutLineBreaks(secret);
    if (token === '') throw unusableSecret('a non-empty string');
    return Buffer.from(token);
  },
};

const concat = (content: SignedContent): Buffer =>
  Buffer.concat(content.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));

// Ed25519 keys in DER are a fixed header plus the 32 raw key bytes (RFC 8410).
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function importKey(text: string, type: 'public' | 'private', raw32?: Buffer): KeyObject | undefined {
  try {
    if (raw32 !== undefined) {
      const der = Buffer.concat([type === 'public' ? ED25519_SPKI_PREFIX : ED25519_PKCS8_PREFIX, raw32]);
      return type === 'public'
        ? createPublicKey({ key: der, format: 'der', type: 'spki' })
        : createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    }
    if (text.includes('-----BEGIN')) return type === 'public' ? createPublicKey(text) : createPrivateKey(text);
    const der = decodeBase64(text.replace(/\s+/g, ''));
    if (der === undefined) return undefined;
    return type === 'public'
      ? createPublicKey({ key: der, format: 'der', type: 'spki' })
      : createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    return undefined;
  }
}

type AsymmetricKind = 'p256' | 'ed25519';

function keyOfKind(text: string, type: 'public' | 'private', kind: AsymmetricKind): KeyObject | undefined {
  // Discord hands out its public key as 64 hex characters; a 64-hex private key is the RFC 8032 seed.
  const raw = kind === 'ed25519' && text.length === 64 ? decodeHex(text) : undefined;
  const key = importKey(text.trim(), type, raw);
  if (key === undefined) return undefined;
  if (kind === 'ed25519') return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? key : undefined;
}

// Importing a public key costs more than an HMAC; keep the few configured ones.
const PUBLIC_KEY_CACHE_LIMIT = 256;
const publicKeyCache = new Map<string, KeyObject | undefined>();

function cachedPublicKey(text: string, kind: AsymmetricKind): KeyObject | undefined {
  const cacheKey = `${kind}:${text}`;
  if (publicKeyCache.has(cacheKey)) return publicKeyCache.get(cacheKey);
  if (publicKeyCache.size >= PUBLIC_KEY_CACHE_LIMIT) publicKeyCache.clear();
  const key = keyOfKind(text, 'public', kind);
  publicKeyCache.set(cacheKey, key);
  return key;
}

function asymmetricAlgorithm(kind: AsymmetricKind, keyName: string): SignatureAlgorithm {
  // ECDSA hashes as it goes, so the body is streamed; Ed25519 needs the whole message at once.
  const checkerFor = (key: KeyObject, content: SignedContent): SignatureCheck => {
    const message = kind === 'ed25519' ? concat(content) : undefined;
    return (signature) => {
      try {
        if (message) return verifyBytes(null, message, key, signature);
        const verifier = createVerify('sha256');
        for (const part of content) verifier.update(part);
        return verifier.verify(key, signature);
      } catch {
        return false; // a malformed DER signature
      }
    };
  };
  return {
    signatureLength: kind === 'ed25519' ? 64 : undefined,
    verifierFor(secret) {
      const key = cachedPublicKey(secret, kind);
      return key && ((content) => checkerFor(key, content));
    },
    sign(secret, content) {
      const key = keyOfKind(secret, 'private', kind);
      if (key === undefined) throw unusableSecret(`an ${keyName} private key (PEM or base64 DER PKCS#8)`);
      return signBytes(kind === 'ed25519' ? null : 'sha256', concat(content), key);
    },
  };
}

/** ECDSA P-256 with SHA-256, DER signatures (SendGrid). Secret: base64 DER SPKI or PEM public key. */
export const ecdsaP256Sha256 = asymmetricAlgorithm('p256', 'ECDSA P-256');

/** Ed25519 (Discord). Secret: the 64-hex public key, or a PEM / base64 SPKI one. */
export const ed25519 = asymmetricAlgorithm('ed25519', 'Ed25519');
