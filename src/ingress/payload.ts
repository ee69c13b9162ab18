/**
 * Turns the raw bytes of a delivery into the payload a workflow receives. Verification always
 * runs on the raw bytes; this only decides what the workflow sees.
 */
import { DEFAULT_MAX_JSON_DEPTH, scanJsonDepth } from '../resources/json-limits';

export type ParsedPayload =
  | { ok: true; payload: unknown; format: 'json' | 'form' | 'text' | 'binary' | 'empty' }
  | { ok: false; code: 'invalid_body' | 'payload_too_deep'; reason: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(raw: Buffer): string | undefined {
  try {
    return strictUtf8.decode(raw);
  } catch {
    return undefined;
  }
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Every JSON.parse of a body goes through here: the depth is checked first, whatever the content type. */
function parseJson(text: string, maxDepth: number): { ok: true; value: unknown } | { ok: false; tooDeep: boolean } {
  if (!scanJsonDepth(text, maxDepth).ok) return { ok: false, tooDeep: true };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, tooDeep: false };
  }
}

/** Decodes `raw` by its content type; JSON nested deeper than `maxDepth` is refused before it is parsed. */
export function parsePayload(
  raw: Buffer,
  contentType: string | undefined,
  maxDepth = DEFAULT_MAX_JSON_DEPTH,
): ParsedPayload {
  const tooDeep = {
    ok: false as const,
    code: 'payload_too_deep' as const,
    reason: `body is JSON nested deeper than ${maxDepth} levels`,
  };
  if (raw.length === 0) return { ok: true, payload: null, format: 'empty' };
  const type = mediaType(contentType);
  const text = decodeUtf8(raw);
  const isJsonType = type === 'application/json' || type.endsWith('+json');
  if (isJsonType) {
    if (text === undefined)
      return { ok: false, code: 'invalid_body', reason: 'body is declared as JSON but is not valid UTF-8' };
    const json = parseJson(text, maxDepth);
    if (json.ok) return { ok: true, payload: json.value, format: 'json' };
    return json.tooDeep
      ? tooDeep
      : { ok: false, code: 'invalid_body', reason: 'body is declared as JSON but is not valid JSON' };
  }
  if (type === 'application/x-www-form-urlencoded') {
    if (text === undefined) return { ok: false, code: 'invalid_body', reason: 'form body is not valid UTF-8' };
    const fields: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(text)) {
      const existing = fields[key];
      fields[key] = existing === undefined ? value : ([] as string[]).concat(existing, value);
    }
    // GitHub's form mode and Slack's interactivity send the JSON event in a single `payload` field.
    const keys = Object.keys(fields);
    if (keys.length === 1 && typeof fields.payload === 'string') {
      const json = parseJson(fields.payload, maxDepth);
      if (json.ok) return { ok: true, payload: json.value, format: 'json' };
      if (json.tooDeep) return tooDeep;
      // not JSON: keep the form fields
    }
    return { ok: true, payload: fields, format: 'form' };
  }
  if (text === undefined) return { ok: true, payload: { base64: raw.toString('base64') }, format: 'binary' };
  if (!type || type === 'text/plain' || type === 'application/octet-stream') {
    const trimmed = text.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      const json = parseJson(text, maxDepth);
      if (json.ok) return { ok: true, payload: json.value, format: 'json' };
      if (json.tooDeep) return tooDeep;
      // plain text that happens to start with a bracket
    }
  }
  return { ok: true, payload: text, format: 'text' };
}
