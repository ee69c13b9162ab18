/**
 * The envelope every resource shares: `apiVersion`, `kind`, `metadata` (name and namespace), and
 * the kind's `spec`. Each kind in `kinds/` builds its schema with `resourceSchema`, so the api
 * version and the metadata rules are written once.
 */
import { z } from 'zod';
import { resourceName } from './references';

export const API_VERSION = 'tempohook.dev/v1';
export const DEFAULT_NAMESPACE = 'default';

/** `metadata` as written: the server sets uid, generation and times, so they are not accepted. */
export const resourceMetadata = z.object({ name: resourceName, namespace: resourceName.optional() }).strict();

/** `{apiVersion, kind, metadata, spec}` for one kind. */
export function resourceSchema<K extends string, S extends z.ZodType>(kind: K, spec: S) {
  return z
    .object({ apiVersion: z.literal(API_VERSION), kind: z.literal(kind), metadata: resourceMetadata, spec })
    .strict();
}
