/**
 * Webhook verification: one profile per provider, each pure (no I/O) and never throwing on
 * request input. `getProfile(name).verify(req, secrets)` is the whole API the ingress needs.
 */
export * from './types';
export * from './profiles';
export { defineProfile, type ProfileSpec, type SignatureFormat, type TimestampSource } from './define-profile';
export type { FieldSource } from './request-fields';
export {
  ecdsaP256Sha256,
  ed25519,
  hmacAlgorithm,
  hmacSha256,
  sharedToken,
  type SignatureAlgorithm,
} from './signature-algorithms';
export { checkTolerance, parseUnixTimestamp, safeEqual } from './crypto';
