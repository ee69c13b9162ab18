/**
 * Builds a `Profile` from a description of how a provider signs: where the signature is and
 * how it is written, which bytes are signed, where the timestamp comes from, and where the
 * event id lives. All verification logic lives here once; profiles are data.
 */
import { TempohookError } from '../errors';
import {
  checkTolerance,
  decodeBase64,
  decodeHex,
  parseUnixTimestamp,
  splitSignatureList,
  type SignedContent,
  type TimestampUnit,
} from './crypto';
import { bodyOf, headerValue, readField, type FieldSource } from './request-fields';
import type { SignatureAlgorithm } from './signature-algorithms';
import type {
  ChallengeResponse,
  InboundRequest,
  Profile,
  SignInput,
  VerifyFailure,
  VerifyOptions,
  VerifyResult,
} from './types';
import { failure, verified } from './verify-result';

export const FIVE_MINUTES_SECONDS = 300;
export const ONE_DAY_SECONDS = 24 * 3600;
/** Dedup window where no timestamp is signed, or where the provider retries for days. */
export const THREE_DAYS_SECONDS = 72 * 3600;

/**
 * How signatures are written in the header: one value after a fixed `prefix`, or a list of
 * `scheme<assign>value` entries split by `separator` of which entries named `scheme` count.
 */
export type SignatureFormat = { prefix: string } | { separator: string; assign: string; scheme: string };

/** Where the signed timestamp is read from. */
export type TimestampSource = { headers: readonly string[] } | { signatureEntry: string } | { bodyField: string };

export interface ProfileSpec {
  name: string;
  description: string;
  defaultDedupWindowSeconds: number;
  defaultTimestampToleranceSeconds?: number;
  algorithm: SignatureAlgorithm;
  signature: {
    /** Header names, lower-case, first present wins; `sign` writes the first. */
    headers: readonly string[];
    format: SignatureFormat;
    /** `utf8`: the header holds the secret itself (shared tokens). */
    encoding: 'hex' | 'base64' | 'utf8';
  };
  /**
   * The signed bytes as a template over `{id}`, `{timestamp}` (as received) and `{body}`, or a
   * function listing every content the provider may have signed (Twilio's URL variants).
   * Defaults to the raw body.
   */
  signedContent?: string | ((req: InboundRequest) => Iterable<SignedContent> | VerifyFailure);
  timestamp?: { from: TimestampSource; unit?: TimestampUnit; futureAllowed?: boolean };
  /** Sources of the event id, in order; a header source also feeds `{id}`, and `sign` writes the first. */
  eventId: readonly FieldSource[];
  sourceEvent?: readonly FieldSource[];
  /**
   * Answers the provider's handshake. `verifiedSecret()` returns the secret that verifies this
   * request, or undefined when none does; call it before answering anything signed.
   */
  handshake?: (body: unknown, verifiedSecret: () => string | undefined) => ChallengeResponse | undefined;
}

type TemplatePart = string | { field: 'id' | 'timestamp' | 'body' };

function compileTemplate(template: string): TemplatePart[] {
  return template
    .split(/(\{(?:id|timestamp|body)\})/)
    .filter((piece) => piece !== '')
    .map((piece) =>
      /^\{(id|timestamp|body)\}$/.test(piece) ? { field: piece.slice(1, -1) as 'id' | 'timestamp' | 'body' } : piece,
    );
}

function fillTemplate(
  parts: readonly TemplatePart[],
  fields: { id?: string; timestamp?: string; body: Buffer },
): SignedContent | undefined {
  const content: (string | Buffer)[] = [];
  for (const part of parts) {
    const value = typeof part === 'string' ? part : fields[part.field];
    if (value === undefined) return undefined;
    content.push(value);
  }
  return content;
}

const decoders = {
  hex: decodeHex,
  base64: decodeBase64,
  utf8: (text: string) => Buffer.from(text),
} as const;

const isFailure = (value: Iterable<SignedContent> | VerifyFailure): value is VerifyFailure => 'ok' in value;

/** A JSON 200, the shape most handshakes answer with. */
export function jsonChallengeResponse(body: unknown): ChallengeResponse {
  return { status: 200, contentType: 'application/json', body: JSON.stringify(body) };
}

/** Builds a profile from its description. */
export function defineProfile(spec: ProfileSpec): Profile {
  const { algorithm, signature, timestamp } = spec;
  const format = signature.format;
  const template =
    typeof spec.signedContent === 'function' ? undefined : compileTemplate(spec.signedContent ?? '{body}');
  const idHeaders = spec.eventId.flatMap((source) => ('header' in source ? [source.header] : []));
  const timestampHeaders = timestamp && 'headers' in timestamp.from ? timestamp.from.headers : undefined;
  const reasons = {
    missing: `${signature.headers[0]} header missing`,
    malformed: `${signature.headers[0]} holds no signature in the expected format`,
    mismatch: 'no configured secret matches the signature',
    noSecret: 'no usable secret configured',
  };

  function signedContents(
    req: InboundRequest,
    timestampText: string | undefined,
  ): Iterable<SignedContent> | VerifyFailure {
    if (typeof spec.signedContent === 'function') return spec.signedContent(req);
    const content = fillTemplate(template ?? [], {
      id: headerValue(req, idHeaders),
      timestamp: timestampText,
      body: req.rawBody,
    });
    return content ? [content] : failure('signature_malformed', 'a signed header is missing');
  }

  /** The header's entries and the decoded signatures among them (of the genuine length, where fixed). */
  function readSignatures(header: string): { entries: [string, string][]; signatures: Buffer[] } {
    let entries: [string, string][];
    if ('prefix' in format)
      entries = header.startsWith(format.prefix) ? [['', header.slice(format.prefix.length).trim()]] : [];
    else entries = splitSignatureList(header, format.separator, format.assign);
    const scheme = 'scheme' in format ? format.scheme : '';
    const signatures: Buffer[] = [];
    for (const [name, encoded] of entries) {
      const decoded = name === scheme ? decoders[signature.encoding](encoded) : undefined;
      if (decoded && (algorithm.signatureLength === undefined || decoded.length === algorithm.signatureLength))
        signatures.push(decoded);
    }
    return { entries, signatures };
  }

  /** The signed timestamp as received and in seconds, when the profile signs one outside the body. */
  function readTimestamp(
    req: InboundRequest,
    entries: [string, string][],
  ): { text?: string; seconds?: number } | VerifyFailure {
    const from = timestamp?.from;
    if (from === undefined || 'bodyField' in from) return {};
    const text =
      'headers' in from ? headerValue(req, from.headers) : entries.find(([name]) => name === from.signatureEntry)?.[1];
    return parsedTimestamp(text);
  }

  function parsedTimestamp(value: unknown): { text?: string; seconds?: number } | VerifyFailure {
    if (value === undefined) return failure('timestamp_missing', 'signed timestamp missing');
    const seconds = parseUnixTimestamp(value, timestamp?.unit);
    if (seconds === undefined) return failure('timestamp_invalid', 'signed timestamp is not a unix time');
    return { text: typeof value === 'string' ? value : undefined, seconds };
  }

  function verify(req: InboundRequest, secrets: readonly string[], options?: VerifyOptions): VerifyResult {
    const header = headerValue(req, signature.headers);
    if (header === undefined) return failure('signature_missing', reasons.missing);
    const { entries, signatures } = readSignatures(header);
    if (signatures.length === 0) return failure('signature_malformed', reasons.malformed);
    let signedAt = readTimestamp(req, entries);
    if ('ok' in signedAt) return signedAt;

    const verifiers = secrets.flatMap((secret) => algorithm.verifierFor(secret) ?? []);
    if (verifiers.length === 0) return failure('secret_invalid', reasons.noSecret);
    const contents = signedContents(req, signedAt.text);
    if (isFailure(contents)) return contents;
    // Contents outermost: Twilio's candidates are computed lazily, only as far as needed.
    let matched = false;
    for (const content of contents) {
      matched = verifiers.some((verifier) => signatures.some(verifier(content)));
      if (matched) break;
    }
    if (!matched) return failure('signature_mismatch', reasons.mismatch);

    if (timestamp && 'bodyField' in timestamp.from) {
      // The signature covers the body, so its timestamp field is trusted only now.
      signedAt = parsedTimestamp(
        (bodyOf(req, undefined) as Record<string, unknown> | null | undefined)?.[timestamp.from.bodyField],
      );
      if ('ok' in signedAt) return signedAt;
    }
    const tolerance = options?.timestampToleranceSeconds ?? spec.defaultTimestampToleranceSeconds;
    if (signedAt.seconds === undefined || tolerance === undefined) return verified;
    return checkTolerance(signedAt.seconds, req.receivedAt, tolerance, { futureAllowed: timestamp?.futureAllowed });
  }

  function sign(secret: string, input: SignInput): Record<string, string> {
    const timestampText = String(input.timestamp);
    const req: InboundRequest = {
      rawBody: input.rawBody,
      headers: {},
      url: input.url,
      receivedAt: new Date(input.timestamp * 1000),
    };
    const contents =
      template === undefined
        ? signedContents(req, timestampText)
        : [fillTemplate(template, { id: input.eventId, timestamp: timestampText, body: input.rawBody }) ?? []];
    if (isFailure(contents)) throw new TempohookError('sign_input_invalid', contents.reason, 400);
    const [content = []] = contents;
    const encoded = algorithm.sign(secret, content).toString(signature.encoding);

    const headers: Record<string, string> = {};
    if ('prefix' in format) headers[signature.headers[0]!] = format.prefix + encoded;
    else {
      const stamp =
        timestamp && 'signatureEntry' in timestamp.from
          ? `${timestamp.from.signatureEntry}${format.assign}${timestampText}${format.separator}`
          : '';
      headers[signature.headers[0]!] = `${stamp}${format.scheme}${format.assign}${encoded}`;
    }
    if (timestampHeaders) headers[timestampHeaders[0]!] = timestampText;
    if (idHeaders[0] !== undefined) headers[idHeaders[0]] = input.eventId;
    return headers;
  }

  const profile: Profile = {
    name: spec.name,
    description: spec.description,
    defaultDedupWindowSeconds: spec.defaultDedupWindowSeconds,
    defaultTimestampToleranceSeconds: spec.defaultTimestampToleranceSeconds,
    credentialHeaders: signature.headers,
    verify,
    eventId: (req, payload) => readField(req, payload, spec.eventId),
    sourceEvent: (req, payload) => (spec.sourceEvent ? readField(req, payload, spec.sourceEvent) : undefined),
    sign,
  };
  const handshake = spec.handshake;
  if (handshake) {
    profile.challenge = (req, payload, secrets, options) =>
      handshake(bodyOf(req, payload), () => secrets.find((secret) => verify(req, [secret], options).ok));
  }
  return profile;
}
