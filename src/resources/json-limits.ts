/**
 * Bounds on JSON that arrives from outside: nesting depth, checked on the raw text by an
 * iterative scan before anything recursive (JSON.stringify, zod, filters, templates, CEL,
 * PostgreSQL's jsonb parser) sees it, and NUL characters, which PostgreSQL text and jsonb cannot
 * hold. V8's JSON.parse is itself iterative (it parses 1,000,000 levels), JSON.stringify is not.
 */

/** Default largest nesting depth of a delivery or management body. */
export const DEFAULT_MAX_JSON_DEPTH = 128;
/** Largest depth a webhook may allow: every later stage recurses, and stays well inside the stack here. */
export const MAX_JSON_DEPTH_LIMIT = 1000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

export type JsonDepthScan = { ok: true; depth: number } | { ok: false; maxDepth: number; offset: number };

/**
 * The nesting depth of JSON `text` (bytes or a string), or where it first goes deeper than
 * `maxDepth`. Brackets inside strings (escapes included) do not count. Malformed JSON is
 * scanned as far as it goes; JSON.parse refuses it later.
 */
export function scanJsonDepth(text: Uint8Array | string, maxDepth: number): JsonDepthScan {
  const bytes = typeof text === 'string' ? undefined : text;
  const length = text.length;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = bytes ? bytes[i]! : (text as string).charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > maxDepth) return { ok: false, maxDepth, offset: i };
      if (depth > deepest) deepest = depth;
    } else if ((c === CLOSE_BRACKET || c === CLOSE_BRACE) && depth > 0) depth--;
  }
  return { ok: true, depth: deepest };
}

/** The message of a `payload_too_deep` refusal; `setting` says where the limit is raised. */
export function tooDeepMessage(maxDepth: number, setting: string): string {
  return `The JSON body is nested deeper than ${maxDepth} levels; flatten it, or raise ${setting} (at most ${MAX_JSON_DEPTH_LIMIT}).`;
}

/**
 * The path (`spec.stringData.token`, `items[2]`) of the first string or key in `value` that
 * contains a NUL character, or null. Iterative, so any depth is safe.
 */
export function findNulCharacter(value: unknown, root = ''): string | null {
  const pending: Array<[unknown, string]> = [[value, root]];
  while (pending.length > 0) {
    const [current, path] = pending.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return path || '(root)';
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push([current[i], `${path}[${i}]`]);
    } else if (current !== null && typeof current === 'object') {
      for (const [key, inner] of Object.entries(current)) {
        const keyPath = path ? `${path}.${key}` : key;
        if (key.includes('\u0000')) return keyPath.replaceAll('\u0000', '\\u0000');
        pending.push([inner, keyPath]);
      }
    }
  }
  return null;
}
