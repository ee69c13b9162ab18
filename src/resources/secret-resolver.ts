/**
 * Resolves a webhook's secret references to values: `{name, key}` names a `Secret` resource in
 * the webhook's namespace, `"{env:VAR}"` an environment variable. Several references mean
 * rotation: each usable value is tried.
 */
import type { SecretKeyRef } from './schemas';
import type { Store } from '../store/types';

const ENV_REFERENCE = /^\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

export interface ResolvedSecrets {
  values: string[];
  /** References that resolved to nothing, described without values. */
  missing: string[];
}

export async function resolveSecrets(
  store: Pick<Store, 'secrets'>,
  namespace: string,
  refs: readonly SecretKeyRef[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedSecrets> {
  const values: string[] = [];
  const missing: string[] = [];
  const loaded = new Map<string, Record<string, string> | null>();
  for (const ref of refs) {
    if (typeof ref === 'string') {
      const variable = ENV_REFERENCE.exec(ref)?.[1] ?? '';
      const value = env[variable];
      if (value) values.push(value);
      else missing.push(`environment variable ${variable}`);
      continue;
    }
    if (!loaded.has(ref.name)) loaded.set(ref.name, (await store.secrets.get(namespace, ref.name))?.data ?? null);
    const value = loaded.get(ref.name)?.[ref.key];
    if (value) values.push(value);
    else missing.push(`secret ${namespace}/${ref.name} key ${ref.key}`);
  }
  return { values, missing };
}
