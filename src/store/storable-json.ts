/**
 * JSON text PostgreSQL's jsonb accepts. jsonb cannot hold U+0000 (22P05 "unsupported Unicode
 * escape sequence"), yet a provider's JSON may carry it and refusing a signed delivery for it
 * would be wrong: stored copies (the payload log, waits, notification envelopes) keep U+FFFD in
 * its place. The workflow itself still receives the payload as sent.
 */

/** `\u0000` escapes that are not themselves escaped (preceded by an even number of backslashes). */
const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/** JSON.stringify(value) with every U+0000, in keys and strings, stored as U+FFFD. */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value) ?? 'null';
  return json.includes('\\u0000') ? json.replace(ESCAPED_NUL, '$1\\ufffd') : json;
}
