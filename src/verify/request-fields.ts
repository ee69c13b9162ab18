/**
 * Reading values out of a delivery: headers by any of their names, fields of the body by
 * path, and a digest of the body. Tolerant of anything: absent or odd values are undefined.
 */
import type { InboundRequest } from './types';
import { sha256 } from './crypto';

/** Where a profile finds a value: a header, a path into the body, or the body's SHA-256 (hex). */
export type FieldSource = { header: string } | { body: readonly (string | number)[] } | { bodySha256: true };

/** The first non-blank value among `names` (lower-case), trimmed. */
export function headerValue(req: InboundRequest, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = req.headers[name]?.trim();
    if (value) return value;
  }
  return undefined;
}

const FORM_FIELD = /^[^{[\s][^=]*=/;

/**
 * The body as a value: the ingress's parsed `payload` when it is an object, otherwise the raw
 * body parsed as JSON or, failing that, as an HTML form (Slack commands, Twilio).
 */
export function bodyOf(req: InboundRequest, payload: unknown): unknown {
  if (typeof payload === 'object' && payload !== null) return payload;
  const text = req.rawBody.toString('utf8');
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }
  return FORM_FIELD.test(text) ? Object.fromEntries(new URLSearchParams(text)) : undefined;
}

/**
 * The value at `path` as text (strings and finite numbers only). A step into a string that
 * holds JSON parses it: Slack's interactive posts carry their JSON in the form field `payload`.
 */
export function valueAt(root: unknown, path: readonly (string | number)[]): string | undefined {
  let current = root;
  for (const step of path) {
    if (typeof current === 'string' && current.startsWith('{')) {
      try {
        current = JSON.parse(current) as unknown;
      } catch {
        return undefined;
      }
    }
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, step)) return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  if (typeof current === 'string') return current === '' ? undefined : current;
  return typeof current === 'number' && Number.isFinite(current) ? String(current) : undefined;
}

/** The first source that yields a value; the body is parsed at most once, and only if needed. */
export function readField(req: InboundRequest, payload: unknown, sources: readonly FieldSource[]): string | undefined {
  let body: { value: unknown } | undefined;
  for (const source of sources) {
    let value: string | undefined;
    if ('header' in source) value = headerValue(req, [source.header]);
    else if ('bodySha256' in source) value = sha256(req.rawBody).toString('hex');
    else value = valueAt((body ??= { value: bodyOf(req, payload) }).value, source.body);
    if (value !== undefined) return value;
  }
  return undefined;
}
