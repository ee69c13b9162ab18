/**
 * Turns the raw bytes of a delivery into the payload a workflow receives. Verification always
 * runs on the raw bytes; this only decides what the workflow sees.
 */
export type ParsedPayload =
  { ok: true; payload: unknown; format: 'json' | 'form' | 'text' | 'binary' | 'empty' } | { ok: false; reason: string };

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

export function parsePayload(raw: Buffer, contentType: string | undefined): ParsedPayload {
  if (raw.length === 0) return { ok: true, payload: null, format: 'empty' };
  const type = mediaType(contentType);
  const text = decodeUtf8(raw);
  const isJsonType = type === 'application/json' || type.endsWith('+json');
  if (isJsonType) {
    if (text === undefined) return { ok: false, reason: 'body is declared as JSON but is not valid UTF-8' };
    try {
      return { ok: true, payload: JSON.parse(text), format: 'json' };
    } catch {
      return { ok: false, reason: 'body is declared as JSON but is not valid JSON' };
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    if (text === undefined) return { ok: false, reason: 'form body is not valid UTF-8' };
    const fields: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(text)) {
      const existing = fields[key];
      fields[key] = existing === undefined ? value : ([] as string[]).concat(existing, value);
    }
    // GitHub's form mode and Slack's interactivity send the JSON event in a single `payload` field.
    const keys = Object.keys(fields);
    if (keys.length === 1 && typeof fields.payload === 'string') {
      try {
        return { ok: true, payload: JSON.parse(fields.payload), format: 'json' };
      } catch {
        /* not JSON: keep the form fields */
      }
    }
    return { ok: true, payload: fields, format: 'form' };
  }
  if (text === undefined) return { ok: true, payload: { base64: raw.toString('base64') }, format: 'binary' };
  if (!type || type === 'text/plain' || type === 'application/octet-stream') {
    const trimmed = text.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        return { ok: true, payload: JSON.parse(text), format: 'json' };
      } catch {
        /* plain text that happens to start with a bracket */
      }
    }
  }
  return { ok: true, payload: text, format: 'text' };
}
