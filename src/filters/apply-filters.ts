/**
 * Evaluates a webhook's filters against one delivery. Pure: no I/O, never throws for any
 * payload. The reason names the first failing filter by its spec, never echoing the delivery's
 * values (a header filter may look at a credential; a payload value may be megabytes).
 */
import { JSONPath } from 'jsonpath-plus';
import type { FilterSpec } from './filter-spec';
import { MAX_MATCH_INPUT_LENGTH } from './regex-safety';

export interface FilterSubject {
  payload: unknown;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
  normalized?: Readonly<Record<string, unknown>> | undefined;
}

export type FilterVerdict = { pass: true } | { pass: false; reason: string };

const compiled = new Map<string, RegExp>();

function regexFor(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(pattern);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** Structural equality of JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => jsonEqual(item, other[i]));
  }
  const ak = Object.keys(a);
  const bk = Object.keys(b);
  return (
    ak.length === bk.length &&
    ak.every(
      (k) =>
        Object.prototype.hasOwnProperty.call(b, k) &&
        jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}

/** The values a filter path selects: none, one, or several for a wildcard JSONPath. */
function select(path: string, subject: FilterSubject): unknown[] {
  if (path.startsWith('headers.')) {
    const value = subject.headers[path.slice('headers.'.length).toLowerCase()];
    return value === undefined ? [] : [value];
  }
  if (path.startsWith('normalized.')) {
    const field = path.slice('normalized.'.length);
    const normalized = subject.normalized;
    return normalized && Object.prototype.hasOwnProperty.call(normalized, field) ? [normalized[field]] : [];
  }
  if (subject.payload === null || typeof subject.payload !== 'object') return [];
  try {
    return JSONPath<unknown[]>({ path, json: subject.payload, wrap: true, eval: false });
  } catch {
    return [];
  }
}

function holds(filter: FilterSpec, value: unknown): boolean {
  if ('equals' in filter) return jsonEqual(value, filter.equals);
  if ('contains' in filter) {
    if (typeof value === 'string') return typeof filter.contains === 'string' && value.includes(filter.contains);
    if (Array.isArray(value)) return value.some((item) => jsonEqual(item, filter.contains));
    return false;
  }
  if (filter.matches !== undefined) {
    const text =
      typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : undefined;
    return text !== undefined && text.length <= MAX_MATCH_INPUT_LENGTH && regexFor(filter.matches).test(text);
  }
  return false;
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function describe(filter: FilterSpec): string {
  if ('equals' in filter) return `${filter.path} equals ${shortJson(filter.equals)}`;
  if ('contains' in filter) return `${filter.path} contains ${shortJson(filter.contains)}`;
  return `${filter.path} matches /${filter.matches}/`;
}

/**
 * Whether a delivery passes every filter. A filter holds when any value its path selects
 * satisfies the operator; a path that selects nothing fails it.
 */
export function applyFilters(filters: readonly FilterSpec[] | undefined, subject: FilterSubject): FilterVerdict {
  for (const [index, filter] of (filters ?? []).entries()) {
    const values = select(filter.path, subject);
    if (values.some((value) => holds(filter, value))) continue;
    const tooLong =
      filter.matches !== undefined && values.some((v) => typeof v === 'string' && v.length > MAX_MATCH_INPUT_LENGTH);
    const why =
      values.length === 0
        ? `${filter.path} is absent`
        : tooLong
          ? `value longer than ${MAX_MATCH_INPUT_LENGTH} characters is not matched`
          : 'no match';
    return { pass: false, reason: `filter ${index + 1} (${describe(filter)}) failed: ${why}` };
  }
  return { pass: true };
}
