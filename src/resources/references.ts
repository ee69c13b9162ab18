/**
 * Names and secret references shared by every resource schema. Kept apart from `schemas.ts`
 * so that modules `schemas.ts` itself imports (the conditions spec) can use them too.
 */
import { z } from 'zod';

/** DNS-label style names: they appear in workflow ids, URLs and search attributes. */
export const resourceName = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'must be lower-case letters, digits and "-", starting and ending with a letter or digit',
  );

/** `{name, key}` of a Secret resource in the webhook's namespace, or `"{env:VAR}"` for an environment variable. */
export const secretKeyRef = z.union([
  z.object({ name: resourceName, key: z.string().min(1).max(253) }).strict(),
  z.string().regex(/^\{env:[A-Za-z_][A-Za-z0-9_]*\}$/, 'must be {name, key} or "{env:VARIABLE}"'),
]);
export type SecretKeyRef = z.infer<typeof secretKeyRef>;

/** One secret, or several during rotation (any one verifies). */
export const secretRefSpec = z.union([secretKeyRef, z.array(secretKeyRef).min(1).max(10)]);
export type SecretRefSpec = z.infer<typeof secretRefSpec>;
