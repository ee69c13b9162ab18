/**
 * The equality part of a wait (`match`: path → expected value) in one canonical form, shared by
 * registration and the ingress, so both compute the same keys:
 * - a path set key (which paths a wait looks at) and
 * - a match key (which values it expects at them),
 * both SHA-256 hex. The ingress computes, for each path set its webhook's waits use, the match key
 * of a delivery, and finds candidate waits by index on (webhook, match key). Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import type { CompiledMatch, MatchPath, PathSet } from '../store/types';

/** Most paths one wait may match on. */
export const MAX_MATCH_PATHS = 16;
/** Longest expected value (canonical JSON). */
export const MAX_MATCH_VALUE_BYTES = 4096;

/** Invalid wait input; the message names the bad part. */
export class InvalidWaitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWaitError';
  }
}

const NAME = /^[A-Za-z0-9_$-]+/;
const INDEX = /^\[(0|[1-9]\d{0,8})\]/;
const QUOTED = /^\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * Parses a definite path: `$` then `.name`, `['name']` or `[N]` segments — each selects at most
 * one value, so a delivery has one value per path and one match key per path set. Wildcards,
 * recursive descent, slices, unions and filters are refused (use `if` for those).
 */
export function parseMatchPath(path: string): MatchPath {
  if (path.startsWith('headers.')) {
    const name = path.slice('headers.'.length);
    if (!HEADER_NAME.test(name))
      throw new InvalidWaitError(`match path "${path}": headers.<name> takes one header name`);
    const lower = name.toLowerCase();
    if (isCredentialHeader(lower))
      throw new InvalidWaitError(
        `match path "${path}": credential headers (signatures, tokens, cookies) are never matched or passed to workflows`,
      );
    return { in: 'headers', name: lower };
  }
  if (!path.startsWith('$'))
    throw new InvalidWaitError(
      `match path "${path}" must be a JSONPath starting with "$" (e.g. $.repository.full_name) or headers.<name>`,
    );
  const segments: Array<string | number> = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    if (rest.startsWith('.') && (m = NAME.exec(rest.slice(1)))) {
      segments.push(m[0]);
      rest = rest.slice(1 + m[0].length);
    } else if ((m = INDEX.exec(rest))) {
      segments.push(Number(m[1]));
      rest = rest.slice(m[0].length);
    } else if ((m = QUOTED.exec(rest))) {
      segments.push((m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1'));
      rest = rest.slice(m[0].length);
    } else {
      throw new InvalidWaitError(
        `match path "${path}" is not a definite JSONPath at "${rest.slice(0, 20)}": use .name, ['name'] or [N] segments (wildcards, "..", slices, unions and filters are not supported; use "if" for those)`,
      );
    }
  }
  if (segments.length === 0)
    throw new InvalidWaitError(`match path "${path}" selects the whole payload; name a field (e.g. $.action)`);
  return { in: 'payload', segments };
}

/** The value a parsed path selects in a delivery, or undefined when absent. */
export function selectValue(
  path: MatchPath,
  subject: { payload: unknown; headers: Readonly<Record<string, string | undefined>> },
): unknown {
  if (path.in === 'headers') return subject.headers[path.name];
  let current: unknown = subject.payload;
  for (const segment of path.segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      if (typeof segment !== 'number') return undefined;
      current = current[segment];
    } else {
      const key = String(segment);
      if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
      current = (current as Record<string, unknown>)[key];
    }
  }
  return current;
}

/** JSON with object keys sorted: equal JSON values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The canonical name of a path: `$.a.b` and `$['a']['b']` are the same path. */
export function pathId(path: MatchPath): string {
  return path.in === 'headers' ? JSON.stringify(['headers', path.name]) : JSON.stringify(['payload', ...path.segments]);
}

export function pathSetOf(paths: MatchPath[]): PathSet {
  const sorted = [...paths].sort((a, b) => (pathId(a) < pathId(b) ? -1 : pathId(a) > pathId(b) ? 1 : 0));
  return { key: sha256(JSON.stringify(sorted.map(pathId))), paths: sorted };
}

/** The match key of `values`, in the order of `pathSet.paths`. */
function matchKey(pathSet: PathSet, values: unknown[]): string {
  return sha256(`${pathSet.key}\n${canonicalJson(values)}`);
}

function isJsonValue(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v, depth + 1));
  if (typeof value === 'object') return Object.values(value).every((v) => isJsonValue(v, depth + 1));
  return false;
}

/** Validates `match` (throws InvalidWaitError naming the bad part) and computes its keys. */
export function compileMatch(match: unknown): CompiledMatch {
  if (match === null || typeof match !== 'object' || Array.isArray(match))
    throw new InvalidWaitError('match must be an object of path → expected value (it may be empty: {})');
  const raw = Object.entries(match as Record<string, unknown>);
  if (raw.length > MAX_MATCH_PATHS)
    throw new InvalidWaitError(`match has ${raw.length} paths; at most ${MAX_MATCH_PATHS}`);
  const byId = new Map<string, { path: MatchPath; value: unknown }>();
  for (const [text, value] of raw) {
    const path = parseMatchPath(text);
    if (value === undefined || !isJsonValue(value))
      throw new InvalidWaitError(
        `match value for "${text}" must be a JSON value (string, number, boolean, null, array or object)`,
      );
    if (path.in === 'headers' && typeof value !== 'string')
      throw new InvalidWaitError(`match value for "${text}" must be a string: headers are strings`);
    if (Buffer.byteLength(canonicalJson(value)) > MAX_MATCH_VALUE_BYTES)
      throw new InvalidWaitError(`match value for "${text}" is over ${MAX_MATCH_VALUE_BYTES} bytes as JSON`);
    const id = pathId(path);
    if (byId.has(id)) throw new InvalidWaitError(`match path "${text}" names the same field as another path`);
    byId.set(id, { path, value });
  }
  const pathSet = pathSetOf([...byId.values()].map((e) => e.path));
  const entries = pathSet.paths.map((p) => byId.get(pathId(p))!);
  return {
    pathSet,
    matchKey: matchKey(
      pathSet,
      entries.map((e) => e.value),
    ),
    entries,
  };
}

/** The match key a delivery has for `pathSet`, or null when one of its paths is absent. */
export function deliveryMatchKey(
  pathSet: PathSet,
  subject: { payload: unknown; headers: Readonly<Record<string, string | undefined>> },
): string | null {
  const values: unknown[] = [];
  for (const path of pathSet.paths) {
    const value = selectValue(path, subject);
    if (value === undefined) return null;
    values.push(value);
  }
  return matchKey(pathSet, values);
}

const CREDENTIAL_HEADER =
  /(^|-)(authorization|cookie|signature|token|secret|api-key|apikey|password)(-|$)|^x-hub-signature|signature/;

/** Headers that carry credentials never reach workflows (nor the payload log). */
export function isCredentialHeader(lowerName: string): boolean {
  return CREDENTIAL_HEADER.test(lowerName);
}

/** The headers a waiting workflow receives: lower-cased, credential-bearing ones left out. */
export function visibleHeaders(headers: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !isCredentialHeader(name.toLowerCase())) out[name.toLowerCase()] = value;
  }
  return out;
}
