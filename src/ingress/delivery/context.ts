/**
 * What the delivery pipeline runs with: the dependencies shared by every delivery, and a small
 * per-delivery context that collects what is known so far (the webhook, the event id, the held
 * key) and how long each stage took. The ledger reads the context to write the history; a
 * metrics, tracing or access-log observer reads the same context when the delivery is answered.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { Logger } from '../../logger';
import type { WebhookSpec } from '../../resources/schemas';
import type { Store, WebhookRecord } from '../../store/types';
import type { InboundRequest, Profile } from '../../verify/types';
import type { TemporalCircuit } from '../temporal-circuit';
import type { IngressLookups } from './lookups';

export interface DeliveryDeps {
  store: Store;
  /** Cached webhook and secret reads of this replica. */
  lookups: IngressLookups;
  client: Client;
  logger: Logger;
  /** Default body limit; a webhook's spec.maxBodyBytes overrides it. */
  maxBodyBytes: number;
  /** Default JSON nesting limit (TEMPOHOOK_MAX_JSON_DEPTH); a webhook's spec.limits.maxDepth overrides it. */
  maxJsonDepth: number;
  retryAfterSeconds: number;
  temporalTimeoutMs: number;
  /** Refuses starts at once while Temporal is down (temporal-circuit.ts). */
  circuit?: TemporalCircuit;
  /** Takes the signals of a large fan-out, sent after the answer (the router waits for them on shutdown). */
  runInBackground?: (task: Promise<void>) => void;
  /** Public base URL (scheme://host[:port]); otherwise taken from the request. */
  publicUrl?: string;
  /** Default of spec.retention.payloads in seconds (TEMPOHOOK_PAYLOAD_RETENTION, 7 days); 0 keeps none. */
  payloadRetentionSeconds?: number;
  now: () => Date;
}

/** A webhook found by its endpoint id, with its parsed spec and its provider profile. */
export interface ResolvedWebhook {
  record: WebhookRecord;
  spec: WebhookSpec;
  profile: Profile;
}

/** The pipeline's stages, in order (see index.ts). */
export const STAGES = ['resolve', 'read', 'verify', 'admit', 'reserve', 'act', 'record', 'respond'] as const;
export type StageName = (typeof STAGES)[number];

export interface StageTiming {
  stage: StageName;
  ms: number;
}

export interface DeliveryContext {
  readonly endpointId: string;
  readonly receivedAt: Date;
  /** Known once `resolve` passes. */
  webhook?: ResolvedWebhook;
  /** Known once `read` passes: the request (a replay's is rebuilt from the kept payload). */
  inbound?: InboundRequest;
  /** A replay: the delivery it replays (recorded as `replay_of`). */
  replayOf?: string;
  /** A replay of a bulk job: the job (recorded as `replay_job_id`). */
  replayJobId?: string;
  /** The id of a row written for a delivery that held no key (replays write theirs at once, to answer it). */
  recordedId?: string;
  /** Known once `admit` passes (the verified event id). */
  eventId?: string;
  /** Known once `reserve` passes: the delivery row, and whether this delivery holds the dedup key. */
  reservation?: { deliveryId: string; holdsKey: boolean };
  /** One entry per stage run, in order. */
  readonly timings: StageTiming[];
}

export function createDeliveryContext(endpointId: string, receivedAt: Date): DeliveryContext {
  return { endpointId, receivedAt, timings: [] };
}

/** Runs one stage and records how long it took, whatever it decided. */
export async function timed<T>(ctx: DeliveryContext, stage: StageName, run: () => T | Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    ctx.timings.push({ stage, ms: performance.now() - started });
  }
}
