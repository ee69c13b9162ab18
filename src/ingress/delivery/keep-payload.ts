/**
 * What a verified delivery keeps of its request for `spec.retention.payloads` (replay, the
 * delivery's detail): the raw body and the headers with every credential removed. The credential
 * headers are derived from what verifies the webhook — its profile's signature or token headers
 * and each condition's lookup — plus anything named like a credential (`authorization`, `cookie`,
 * `*-token`, `*-signature`…). A token a condition reads from the body (`in: json` / `in: form`) is
 * blanked in the kept body too: kept bytes then differ from those received, which replay does not
 * need (it never verifies again).
 */
import type { Condition } from '../../resources/conditions-spec';
import type { WebhookSpec } from '../../resources/schemas';
import type { KeptPayloadInput } from '../../store/types';
import type { InboundRequest, Profile } from '../../verify/types';
import { isCredentialHeader } from '../../waits/match';

/** Default of spec.retention.payloads (and TEMPOHOOK_PAYLOAD_RETENTION), in seconds. */
export const DEFAULT_PAYLOAD_RETENTION_SECONDS = 7 * 86400;

/** What a kept credential is replaced with in a body. */
export const REDACTED = '[redacted]';

/** Headers that carry credentials whatever the profile: never kept. */
const ALWAYS_CREDENTIALS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

/** Where a webhook's proof is read: header names, and JSON / form body fields. */
export interface CredentialPlaces {
  headers: ReadonlySet<string>;
  jsonFields: readonly string[];
  formFields: readonly string[];
}

/** The places a condition reads a secret from (a timestamp or a rate limit reads none). */
function conditionPlaces(condition: Condition): Array<{ in: string; name: string }> {
  switch (condition.type) {
    case 'static-token':
    case 'hmac':
      return [condition.lookup];
    case 'jwt':
      return [condition.lookup ?? { in: 'header', name: 'authorization' }];
    case 'headers':
      // Fixed header values compared in constant time are shared secrets.
      return Object.keys(condition.headers).map((name) => ({ in: 'header', name }));
    default:
      return [];
  }
}

const places = new WeakMap<WebhookSpec, CredentialPlaces>();

/** Every place the webhook's verification reads a credential from (cached per parsed spec). */
export function credentialPlaces(spec: WebhookSpec, profile: Profile): CredentialPlaces {
  const cached = places.get(spec);
  if (cached) return cached;
  const headers = new Set([...ALWAYS_CREDENTIALS, ...profile.credentialHeaders.map((h) => h.toLowerCase())]);
  const jsonFields: string[] = [];
  const formFields: string[] = [];
  for (const condition of spec.conditions ?? []) {
    for (const place of conditionPlaces(condition)) {
      if (place.in === 'header') headers.add(place.name.toLowerCase());
      else if (place.in === 'json') jsonFields.push(place.name);
      else if (place.in === 'form') formFields.push(place.name);
    }
  }
  const found = { headers, jsonFields, formFields };
  places.set(spec, found);
  return found;
}

/** The headers as kept: lower-cased, without any credential. */
export function keptHeaders(
  headers: Readonly<Record<string, string | undefined>>,
  credentials: CredentialPlaces,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || credentials.headers.has(lower) || isCredentialHeader(lower)) continue;
    kept[lower] = value;
  }
  return kept;
}

/** The body with the fields a condition reads a secret from blanked; the same bytes when there are none. */
function keptBody(rawBody: Buffer, contentType: string | undefined, credentials: CredentialPlaces): Buffer {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (credentials.formFields.length > 0 && media === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(rawBody.toString('utf8'));
    if (!credentials.formFields.some((field) => form.has(field))) return rawBody;
    for (const field of credentials.formFields) if (form.has(field)) form.set(field, REDACTED);
    return Buffer.from(form.toString(), 'utf8');
  }
  if (credentials.jsonFields.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return rawBody;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return rawBody;
    const object = parsed as Record<string, unknown>;
    const present = credentials.jsonFields.filter((field) => Object.hasOwn(object, field));
    if (present.length === 0) return rawBody;
    for (const field of present) object[field] = REDACTED;
    return Buffer.from(JSON.stringify(object), 'utf8');
  }
  return rawBody;
}

/** Seconds a webhook keeps payloads: its spec, else the process default; 0 keeps none. */
export function payloadRetentionSeconds(spec: Pick<WebhookSpec, 'retention'>, defaultSeconds?: number): number {
  return spec.retention?.payloads ?? defaultSeconds ?? DEFAULT_PAYLOAD_RETENTION_SECONDS;
}

/**
 * What a verified delivery keeps, or undefined when its webhook keeps no payloads. Call it only
 * once the request passed verification and the webhook's conditions: an unverified request
 * keeps nothing.
 */
export function keptPayload(
  webhook: { spec: WebhookSpec; profile: Profile },
  inbound: Pick<InboundRequest, 'rawBody' | 'headers'>,
  defaultRetentionSeconds?: number,
): KeptPayloadInput | undefined {
  if (payloadRetentionSeconds(webhook.spec, defaultRetentionSeconds) <= 0) return undefined;
  const credentials = credentialPlaces(webhook.spec, webhook.profile);
  const contentType = inbound.headers['content-type'];
  return {
    body: keptBody(inbound.rawBody, contentType, credentials),
    headers: keptHeaders(inbound.headers, credentials),
    contentType: contentType ?? null,
  };
}
