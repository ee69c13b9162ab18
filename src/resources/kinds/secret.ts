/**
 * The `Secret` kind: named key/value material that webhooks and subscriptions reference by
 * `{name, key}`. Values go in (stringData, or base64 data as in Kubernetes) and never come out:
 * the API and the CLI show key names only.
 */
import { z } from 'zod';
import { TempohookError } from '../../errors';
import type { SecretRecord } from '../../store/types';
import { API_VERSION, resourceSchema } from '../envelope';
import { findNulCharacter } from '../json-limits';
import { defineKind, shortTime } from './define-kind';

export const secretSpec = z
  .object({
    stringData: z.record(z.string().min(1).max(253), z.string().min(1).max(65536)).optional(),
    /** Base64 values, as in Kubernetes Secrets. */
    data: z.record(z.string().min(1).max(253), z.string().base64()).optional(),
  })
  .strict()
  .refine(
    (s) => Object.keys({ ...s.data, ...s.stringData }).length > 0,
    'a secret needs at least one key in spec.stringData or spec.data',
  );

export const secretResource = resourceSchema('Secret', secretSpec);
export type SecretResource = z.infer<typeof secretResource>;

/** The data a spec carries, base64 `data` decoded; `stringData` wins on a shared key. */
export function secretData(spec: SecretResource['spec']): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [key, value] of Object.entries(spec.data ?? {}))
    decoded[key] = Buffer.from(value, 'base64').toString('utf8');
  // The schema saw base64 text; PostgreSQL cannot hold the NUL it may decode to.
  const nul = findNulCharacter(decoded, 'spec.data');
  if (nul !== null)
    throw new TempohookError(
      'invalid_resource',
      `Invalid Secret: ${nul} decodes to a NUL byte, which cannot be stored.`,
      400,
    );
  return { ...decoded, ...spec.stringData };
}

/** A secret as the API shows it: its key names, never a value. */
export function presentSecret(record: SecretRecord) {
  return {
    apiVersion: API_VERSION,
    kind: 'Secret' as const,
    metadata: {
      name: record.name,
      namespace: record.namespace,
      createdAt: record.createdAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
    },
    status: { keys: Object.keys(record.data).sort() },
  };
}
export type SecretView = ReturnType<typeof presentSecret>;

export const secretKind = defineKind({
  kind: 'Secret',
  schema: secretResource,
  words: {
    singular: 'secret',
    plural: 'secrets',
    aliases: [],
    listHelp: 'list secrets (key names only, never values)',
    getHelp: 'one secret: its key names',
    deleteHelp: 'webhooks and subscriptions that reference it fail until it is applied again',
  },
  appliedFirst: true,
  repository: (store) => ({
    ...store.secrets,
    async apply(namespace, name, resource) {
      const data = secretData(resource.spec);
      const created = (await store.secrets.get(namespace, name)) === null;
      return { record: await store.secrets.put(namespace, name, data), created };
    },
  }),
  present: presentSecret,
  columns: [
    { header: 'NAME', cell: (s) => s.metadata.name },
    { header: 'NAMESPACE', cell: (s) => s.metadata.namespace },
    { header: 'KEYS', cell: (s) => s.status.keys.join(',') },
    { header: 'UPDATED', cell: (s) => shortTime(s.metadata.updatedAt) },
  ],
  details: (s) => [
    ['Name', s.metadata.name],
    ['Namespace', s.metadata.namespace],
    ['Keys', s.status.keys.join(', ')],
    ['Created', shortTime(s.metadata.createdAt) ?? '-'],
    ['Updated', shortTime(s.metadata.updatedAt) ?? '-'],
  ],
});
