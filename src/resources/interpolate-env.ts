/**
 * `${VAR}` substitution in resource documents, shared by `tempohook apply` and the worker's
 * settings file (TEMPOHOOK_SUBSCRIPTIONS_FILE).
 */
import { TempohookError } from '../errors';
import { fieldPath } from './field-path';

const VARIABLE = /\$\$\{|\$\{([^}]*)\}/g;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${VAR}` in every string (keys and values) of a parsed document. Substituting in
 * values rather than in the YAML text keeps a secret containing `#`, `: ` or quotes from
 * changing the document's structure.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, where: string): unknown {
  const substitute = (text: string, at: string): string =>
    text.replace(VARIABLE, (match, name: string | undefined) => {
      if (match === '$${') return '${';
      if (!name || !VARIABLE_NAME.test(name))
        throw new TempohookError(
          'invalid_resource',
          `${at}: "\${${name ?? ''}}" is not a variable reference; use \${NAME} (letters, digits, _) or $\${ for a literal.`,
          400,
        );
      const replacement = env[name];
      if (replacement === undefined)
        throw new TempohookError(
          'env_var_missing',
          `${at}: environment variable ${name} is not set (referenced as \${${name}}).`,
          400,
        );
      return replacement;
    });
  if (typeof value === 'string') return substitute(value, where);
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => {
        const at = `${where}${fieldPath([key])}`;
        return [substitute(key, at), interpolateEnv(item, env, at)];
      }),
    );
  }
  return value;
}
