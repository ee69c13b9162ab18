/**
 * Signature headers for an outbound notification, one signature per secret (rotation):
 * - `standard-webhooks`: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> …`,
 *   HMAC-SHA256 over `{id}.{timestamp}.{body}` keyed by the base64 after `whsec_`;
 * - `hmac-sha256-hex`: `X-Tempohook-Signature: sha256=<hex>,…`, HMAC-SHA256 keyed by the
 *   secret's UTF-8 bytes over `{timestamp}.{body}`, with `X-Tempohook-Timestamp` and `X-Tempohook-Id`.
 */
import { hmacAlgorithm } from '../verify/signature-algorithms';

export type SigningScheme = 'standard-webhooks' | 'hmac-sha256-hex';

const standardWebhooks = hmacAlgorithm('sha256', 'whsec');
const plainHmac = hmacAlgorithm('sha256', 'utf8');

export function signatureHeaders(
  scheme: SigningScheme,
  secrets: readonly string[],
  message: { id: string; timestampSeconds: number; body: string },
): Record<string, string> {
  const ts = String(message.timestampSeconds);
  if (scheme === 'standard-webhooks') {
    const headers: Record<string, string> = { 'webhook-id': message.id, 'webhook-timestamp': ts };
    if (secrets.length > 0) {
      headers['webhook-signature'] = secrets
        .map((s) => `v1,${standardWebhooks.sign(s, [message.id, '.', ts, '.', message.body]).toString('base64')}`)
        .join(' ');
    }
    return headers;
  }
  const headers: Record<string, string> = { 'x-tempohook-id': message.id, 'x-tempohook-timestamp': ts };
  if (secrets.length > 0)
    headers['x-tempohook-signature'] = secrets
      .map((s) => `sha256=${plainHmac.sign(s, [ts, '.', message.body]).toString('hex')}`)
      .join(',');
  return headers;
}
