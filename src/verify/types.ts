/**
 * The contract between the ingress and a provider profile. A profile is data plus, where
 * unavoidable, one small function: it knows the provider's headers, signed bytes, encoding,
 * event-id source, timestamp tolerance and default dedup window. Profiles are pure: no I/O.
 */

/** What the ingress hands a profile: the exact bytes received and lower-cased headers. */
export interface InboundRequest {
  /** The raw body exactly as received; never re-serialized. */
  rawBody: Buffer;
  /** Header names lower-cased; repeated headers joined with ", " (Node's default). */
  headers: Readonly<Record<string, string | undefined>>;
  /** The full public URL the provider called (scheme, host, path, query): Twilio signs it. */
  url: string;
  /** When the ingress received the request; timestamp tolerance is measured against it. */
  receivedAt: Date;
}

/** Why a verification failed; also the `code` of the 401/400 the ingress answers with. */
export type VerifyFailureCode =
  | 'signature_missing'
  | 'signature_malformed'
  | 'signature_mismatch'
  | 'timestamp_missing'
  | 'timestamp_invalid'
  | 'timestamp_out_of_tolerance'
  | 'secret_invalid';

/** A failed verification; `reason` is short and fixed, never a secret or an expected signature. */
export interface VerifyFailure {
  ok: false;
  code: VerifyFailureCode;
  reason: string;
}

export type VerifyResult = { ok: true } | VerifyFailure;

export interface VerifyOptions {
  /**
   * Allowed clock skew in seconds; only used by profiles that sign a timestamp. Defaults to
   * the profile's `defaultTimestampToleranceSeconds`; `Infinity` turns the check off.
   */
  timestampToleranceSeconds?: number;
}

/** An answer to a provider's handshake (Slack url_verification, Zoom url_validation, Discord PING…). */
export interface ChallengeResponse {
  status: number;
  contentType: string;
  body: string;
}

/** What `tempohook send` and tests need to produce a delivery the profile accepts. */
export interface SignInput {
  rawBody: Buffer;
  eventId: string;
  /** Unix seconds the signature claims (Linear signs none: its time is the body's `webhookTimestamp`). */
  timestamp: number;
  /** The URL the request is sent to (Twilio signs it; for JSON bodies it must carry `bodySHA256`). */
  url: string;
}

export interface Profile {
  readonly name: string;
  /** One line for docs and `tempohook get`: what the provider sends. */
  readonly description: string;
  /** Default dedup window in seconds (longer where no timestamp is signed). */
  readonly defaultDedupWindowSeconds: number;
  /**
   * Default tolerance in seconds, or undefined when the provider signs no timestamp or
   * documents none (SendGrid: a tolerance then applies only when the caller passes one).
   */
  readonly defaultTimestampToleranceSeconds?: number;
  /**
   * The headers (lower-case) that carry the proof — a signature, or a shared token sent as is.
   * Never kept with a delivery's payload nor shown (the conditions name their own).
   */
  readonly credentialHeaders: readonly string[];
  /**
   * Verifies the request against each secret; any one passing is a pass (rotation).
   * Must never throw: malformed input is a failure with a reason, not an exception.
   * For asymmetric providers (SendGrid, Discord) each "secret" is the provider's public key.
   */
  verify(req: InboundRequest, secrets: readonly string[], options?: VerifyOptions): VerifyResult;
  /** The provider's stable event id (same on redelivery), or undefined when absent. */
  eventId(req: InboundRequest, payload: unknown): string | undefined;
  /** The provider's event type (e.g. GitHub's X-GitHub-Event), if it sends one. */
  sourceEvent(req: InboundRequest, payload: unknown): string | undefined;
  /**
   * A handshake answer when the request is the provider's challenge, else undefined.
   * Signed handshakes are verified here as well (so calling it before or after `verify` is
   * safe); only a check the provider documents as unsigned (Slack `ssl_check`) is answered
   * without a signature. Never throws.
   */
  challenge?(
    req: InboundRequest,
    payload: unknown,
    secrets: readonly string[],
    options?: VerifyOptions,
  ): ChallengeResponse | undefined;
  /**
   * Headers (lower-cased names) a sender must add for `verify` to pass, for `tempohook send`,
   * tests and benchmarks. For asymmetric providers (SendGrid, Discord) `secret` is the
   * private key (PEM, or base64 DER PKCS#8); `verify` takes the public key. Throws
   * `TempohookError` when the secret cannot be used.
   */
  sign(secret: string, input: SignInput): Record<string, string>;
}
