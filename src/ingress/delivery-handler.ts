/**
 * `POST /v1/webhook-deliveries/{endpointId}`: resolve → raw body → handshake (signed, conditions
 * hold) → verify → conditions → rate limit → event id → filters → dedup reserve → start and/or
 * signal waiting runs (spec.signal, src/waits) → record.
 * A 202 means Temporal durably accepted the start and the signals;
 * when Temporal or the store is unreachable the answer is 503 with Retry-After and the dedup
 * reservation is released, so the provider's retry succeeds later.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Client } from '@temporalio/client';
import { conditionSecretRefs, describeWindow, evaluateConditions, rateLimitWindows } from '../conditions';
import { applyFilters, normalizePayload } from '../filters';
import type { Logger } from '../logger';
import { webhookSpec, secretRefs, type WebhookSpec } from '../resources/schemas';
import { renderIdentifier, renderValue, type TemplateContext } from '../resources/template';
import type { DeliveryOutcome, Store, WebhookRecord } from '../store/types';
import { getProfile } from '../verify';
import type { InboundRequest, Profile } from '../verify/types';
import {
  eventIdSearchAttribute,
  sourceSearchAttribute,
  TEMPOHOOK_MEMO_KEY,
  webhookSearchAttribute,
  type TempohookRunMemo,
  type WebhookStartInput,
} from '../workflows/definitions';
import { sendError } from './http/http-errors';
import { parsePayload } from './payload';
import { resolveSecrets } from '../resources/secret-resolver';
import { startWebhookWorkflow } from './workflow-starter';
import { visibleHeaders } from '../waits/match';
import { signalMatchingWaits, type SignalWaitsOutcome } from '../waits/signal-waits';

export interface DeliveryHandlerDeps {
  store: Store;
  client: Client;
  logger: Logger;
  /** Default body limit; a webhook's spec.maxBodyBytes overrides it. */
  maxBodyBytes: number;
  retryAfterSeconds: number;
  temporalTimeoutMs: number;
  /** Public base URL (scheme://host[:port]); otherwise taken from the request. */
  publicUrl?: string;
  now?: () => Date;
}

/** The event id a request claims (unverified): what an operator searches the history for. */
function claimedEventId(
  webhook: { spec: WebhookSpec; profile: Profile },
  inbound: InboundRequest,
  payload: unknown,
): string | null {
  const { spec, profile } = webhook;
  const id = spec.eventIdHeader
    ? inbound.headers[spec.eventIdHeader.toLowerCase()]
    : safely(() => profile.eventId(inbound, payload));
  return id?.slice(0, 255) ?? null;
}

/** Profiles are built never to throw; a bug in one must still be a 401, not a 500. */
function safely<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;
// eslint-disable-next-line no-control-regex -- a separate non-global copy: .test() on a /g regex keeps state between calls
const HAS_CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
/** A run's JSON input must stay under Temporal's 2 MB payload limit, with room for the rest of the request. */
const MAX_START_INPUT_BYTES = 1_900_000;

export const DEFAULT_WORKFLOW_ID_TEMPLATE = '{namespace}/{webhook}/{eventId}';

interface ResolvedWebhook {
  record: WebhookRecord;
  spec: WebhookSpec;
  profile: Profile;
}

interface DeliveryLocals {
  webhook?: ResolvedWebhook;
  receivedAt?: Date;
}

/** The parsed spec is cached per webhook generation: parsing is the same work on every delivery. */
function createSpecCache() {
  const cache = new Map<string, { generation: number; spec: WebhookSpec }>();
  return (record: WebhookRecord): WebhookSpec => {
    const hit = cache.get(record.id);
    if (hit && hit.generation === record.generation) return hit.spec;
    const spec = webhookSpec.parse(record.spec);
    if (cache.size > 10_000) cache.clear();
    cache.set(record.id, { generation: record.generation, spec });
    return spec;
  };
}

function lowerCaseHeaders(req: Request): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

export function createDeliveryRouter(
  deps: DeliveryHandlerDeps,
): express.Router & { drain(timeoutMs: number): Promise<void> } {
  const now = deps.now ?? (() => new Date());
  const specFor = createSpecCache();
  const rawParsers = new Map<number, RequestHandler>();
  const log = deps.logger;

  const locals = (res: Response) => res.locals as DeliveryLocals;
  const retryAfter = { 'Retry-After': String(deps.retryAfterSeconds) };

  /** History writes must never turn an answer into a 500: they are logged when they fail. */
  async function recordRejection(
    webhook: ResolvedWebhook,
    receivedAt: Date,
    status: number,
    outcome: DeliveryOutcome,
    reason: string,
    eventId: string | null = null,
    sourceEvent: string | null = null,
  ) {
    try {
      await deps.store.deliveries.recordUnreserved({
        webhookId: webhook.record.id,
        eventId,
        sourceEvent,
        receivedAt,
        outcome,
        httpStatus: status,
        reason,
      });
      if (outcome === 'rejected' || outcome === 'failed')
        await deps.store.webhooks.recordError(webhook.record.id, `${status} ${reason}`, receivedAt);
    } catch (err) {
      log.warn('could not record delivery', { webhook: webhook.record.name, status, error: (err as Error).message });
    }
  }

  const resolveEndpoint: RequestHandler = async (req, res, next) => {
    locals(res).receivedAt = now();
    let record: WebhookRecord | null;
    try {
      record = await deps.store.webhooks.getByEndpointId(String(req.params.endpointId));
    } catch (err) {
      log.error('store unavailable while resolving endpoint', { error: (err as Error).message });
      return sendError(res, 503, 'store_unavailable', 'The delivery store is unavailable; retry later.', {
        headers: retryAfter,
      });
    }
    if (!record)
      return sendError(
        res,
        404,
        'endpoint_not_found',
        'No webhook has this endpoint. Check the URL in `tempohook get webhook NAME`.',
      );
    try {
      const spec = specFor(record);
      const profile = getProfile(spec.profile);
      if (!profile) throw new Error(`profile ${spec.profile} is not available`);
      locals(res).webhook = { record, spec, profile };
    } catch (err) {
      log.error('stored webhook spec is invalid', { webhook: record.name, error: (err as Error).message });
      return sendError(res, 500, 'webhook_invalid', 'This webhook is misconfigured; re-apply it.');
    }
    next();
  };

  const readRawBody: RequestHandler = (req, res, next) => {
    const limit = locals(res).webhook!.spec.maxBodyBytes ?? deps.maxBodyBytes;
    let parser = rawParsers.get(limit);
    if (!parser) {
      // type: () => true — every content type is read as bytes; signatures are over the bytes.
      parser = express.raw({ type: () => true, limit, inflate: true });
      rawParsers.set(limit, parser);
    }
    parser(req, res, next);
  };

  const bodyErrors = (err: unknown, req: Request, res: Response, next: NextFunction) => {
    const webhook = locals(res).webhook;
    const bodyError = err as { type?: string; status?: number; limit?: number };
    if (!webhook || typeof bodyError.status !== 'number' || res.headersSent) return next(err);
    const receivedAt = locals(res).receivedAt ?? now();
    if (bodyError.type === 'entity.too.large') {
      const reason = `body larger than the ${bodyError.limit ?? deps.maxBodyBytes}-byte limit`;
      void recordRejection(webhook, receivedAt, 413, 'rejected', reason);
      return sendError(res, 413, 'body_too_large', `The ${reason}; raise spec.maxBodyBytes if this is expected.`);
    }
    const status = bodyError.status >= 400 && bodyError.status < 500 ? bodyError.status : 400;
    const reason =
      bodyError.type === 'encoding.unsupported' ? 'unsupported Content-Encoding' : 'the request body could not be read';
    void recordRejection(webhook, receivedAt, status, 'rejected', reason);
    sendError(res, status, 'body_unreadable', reason);
  };

  /**
   * Resolves each condition's secrets and evaluates `spec.conditions`: undefined when all hold,
   * the failure (code and reason carry no secret or token) otherwise.
   */
  async function checkConditions(webhook: ResolvedWebhook, inbound: InboundRequest, payload: unknown) {
    const { record, spec } = webhook;
    const conditions = spec.conditions ?? [];
    const claimedId = claimedEventId(webhook, inbound, payload);
    const secrets: string[][] = [];
    try {
      for (const [index, condition] of conditions.entries()) {
        const refs = conditionSecretRefs(condition);
        const resolved = await resolveSecrets(deps.store, record.namespace, refs);
        if (refs.length > 0 && resolved.values.length === 0) {
          return {
            code: 'secret_unavailable',
            reason: `conditions[${index}] (${condition.type}): no usable secret: ${resolved.missing.join(', ')} not found; apply the Secret`,
            claimedId,
          };
        }
        secrets.push(resolved.values);
      }
    } catch (err) {
      log.error('store unavailable while reading condition secrets', {
        webhook: record.name,
        error: (err as Error).message,
      });
      return 'store_unavailable' as const;
    }
    const result = await evaluateConditions(conditions, { inbound, payload, secrets, now: inbound.receivedAt });
    return result.ok ? undefined : { code: result.code as string, reason: result.reason, claimedId };
  }

  /** Answers 401 (or 503) and returns true when a condition fails; false when all hold. */
  async function refusedByConditions(
    webhook: ResolvedWebhook,
    inbound: InboundRequest,
    payload: unknown,
    res: Response,
  ): Promise<boolean> {
    const rejection = await checkConditions(webhook, inbound, payload);
    if (!rejection) return false;
    if (rejection === 'store_unavailable') {
      sendError(res, 503, 'store_unavailable', 'The delivery store is unavailable; retry later.', {
        headers: retryAfter,
      });
      return true;
    }
    await recordRejection(
      webhook,
      inbound.receivedAt,
      401,
      'rejected',
      `${rejection.code}: ${rejection.reason}`,
      rejection.claimedId,
    );
    // A missing Secret is the operator's problem: its name goes to the history, not the sender.
    if (rejection.code === 'secret_unavailable')
      sendError(res, 401, 'secret_unavailable', 'This webhook cannot verify deliveries yet.');
    else sendError(res, 401, rejection.code, rejection.reason);
    return true;
  }

  /** Counts a verified delivery against the webhook's `rate-limit` windows; answers 429 (or 503) and returns true when over quota. */
  async function refusedByRateLimit(
    webhook: ResolvedWebhook,
    inbound: InboundRequest,
    payload: unknown,
    res: Response,
  ): Promise<boolean> {
    const windows = rateLimitWindows(webhook.spec.conditions);
    if (windows.length === 0) return false;
    let verdict;
    try {
      verdict = await deps.store.rateLimits.hit(webhook.record.id, windows);
    } catch (err) {
      log.error('store unavailable while counting the rate limit', {
        webhook: webhook.record.name,
        error: (err as Error).message,
      });
      sendError(res, 503, 'store_unavailable', 'The delivery store is unavailable; retry later.', {
        headers: retryAfter,
      });
      return true;
    }
    if (verdict.allowed) return false;
    const reason = `rate limit of ${describeWindow(verdict.window)} reached; retry in ${verdict.retryAfterSeconds} s`;
    await recordRejection(
      webhook,
      inbound.receivedAt,
      429,
      'rejected',
      reason,
      claimedEventId(webhook, inbound, payload),
    );
    sendError(res, 429, 'rate_limited', reason, { headers: { 'Retry-After': String(verdict.retryAfterSeconds) } });
    return true;
  }

  const handleDelivery: RequestHandler = async (req, res) => {
    const webhook = locals(res).webhook!;
    const receivedAt = locals(res).receivedAt ?? now();
    const { record, spec, profile } = webhook;
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const headers = lowerCaseHeaders(req);
    const base = deps.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    const inbound: InboundRequest = {
      rawBody,
      headers,
      url: `${base.replace(/\/$/, '')}${req.originalUrl}`,
      receivedAt,
    };

    let secrets: string[];
    try {
      const refs = secretRefs(spec);
      const resolved = await resolveSecrets(deps.store, record.namespace, refs);
      // Profile `custom` may have no secret of its own: its conditions carry theirs.
      if (resolved.values.length === 0 && refs.length > 0) {
        const reason = `no usable secret: ${resolved.missing.join(', ')} not found; apply the Secret`;
        await recordRejection(webhook, receivedAt, 401, 'rejected', reason);
        return sendError(res, 401, 'secret_unavailable', 'This webhook cannot verify deliveries yet.');
      }
      secrets = resolved.values;
    } catch (err) {
      log.error('store unavailable while reading secrets', { webhook: record.name, error: (err as Error).message });
      return sendError(res, 503, 'store_unavailable', 'The delivery store is unavailable; retry later.', {
        headers: retryAfter,
      });
    }

    // Only an explicit spec value overrides the profile's own default (some sign no timestamp, or
    // document none, like SendGrid).
    const verifyOptions =
      spec.timestampTolerance === undefined ? {} : { timestampToleranceSeconds: spec.timestampTolerance };
    const parsed = parsePayload(rawBody, headers['content-type']);

    // A handshake first: the profile verifies signed handshakes itself, and answers the few that
    // providers document as unsigned (Slack's ssl_check) without one.
    const challenge = parsed.ok
      ? safely(() => profile.challenge?.(inbound, parsed.payload, secrets, verifyOptions))
      : undefined;
    if (challenge) {
      // The webhook's own conditions hold for handshakes too (a rate limit does not count them).
      if (spec.conditions && (await refusedByConditions(webhook, inbound, parsed.ok ? parsed.payload : undefined, res)))
        return;
      await recordRejection(webhook, receivedAt, challenge.status, 'challenge', 'handshake answered');
      await markAccepted(record.id, receivedAt);
      return res.status(challenge.status).type(challenge.contentType).send(challenge.body);
    }

    const verification = safely(() => profile.verify(inbound, secrets, verifyOptions)) ?? {
      ok: false as const,
      code: 'signature_malformed' as const,
      reason: 'the signature could not be checked',
    };
    if (!verification.ok) {
      await recordRejection(
        webhook,
        receivedAt,
        401,
        'rejected',
        `${verification.code}: ${verification.reason}`,
        claimedEventId(webhook, inbound, undefined),
      );
      return sendError(res, 401, verification.code, verification.reason);
    }

    if (spec.conditions) {
      if (await refusedByConditions(webhook, inbound, parsed.ok ? parsed.payload : undefined, res)) return;
      if (await refusedByRateLimit(webhook, inbound, parsed.ok ? parsed.payload : undefined, res)) return;
    }

    if (!parsed.ok) {
      await recordRejection(webhook, receivedAt, 400, 'rejected', parsed.reason);
      return sendError(res, 400, 'invalid_body', parsed.reason);
    }
    const payload = parsed.payload;

    // Values from the body reach Postgres text columns and Temporal keywords: no control characters.
    const sourceEvent = profile.sourceEvent(inbound, payload)?.replace(CONTROL_CHARACTERS, '').slice(0, 255) || null;
    const eventId = spec.eventIdHeader ? headers[spec.eventIdHeader.toLowerCase()] : profile.eventId(inbound, payload);
    if (!eventId) {
      const where = spec.eventIdHeader ? `header ${spec.eventIdHeader}` : `the ${profile.name} profile's event id`;
      await recordRejection(webhook, receivedAt, 400, 'rejected', `event id missing (${where})`, null, sourceEvent);
      return sendError(
        res,
        400,
        'event_id_missing',
        `The delivery has no event id (${where}); it is needed to deduplicate.`,
      );
    }
    if (eventId.length > 255 || HAS_CONTROL_CHARACTER.test(eventId)) {
      const reason =
        eventId.length > 255 ? 'event id longer than 255 characters' : 'event id contains control characters';
      await recordRejection(webhook, receivedAt, 400, 'rejected', reason, null, sourceEvent);
      return sendError(res, 400, 'event_id_invalid', `The ${reason}.`);
    }

    // Filtered before the dedup reservation: an ignored delivery holds no key, so a later
    // redelivery after the filter changes can still start a run.
    const normalized = safely(() => normalizePayload(payload, headers));
    const verdict = safely(() => applyFilters(spec.filters, { payload, headers, normalized })) ?? {
      pass: false as const,
      reason: 'the filters could not be evaluated on this payload',
    };
    if (!verdict.pass) {
      await recordRejection(webhook, receivedAt, 202, 'ignored', verdict.reason, eventId, sourceEvent);
      await markAccepted(record.id, receivedAt);
      return res.status(202).json({ accepted: true, ignored: true, reason: verdict.reason });
    }

    const windowSeconds = spec.dedupWindow ?? profile.defaultDedupWindowSeconds;
    let reservation;
    try {
      reservation = await deps.store.deliveries.reserve({
        webhookId: record.id,
        eventId,
        sourceEvent,
        receivedAt,
        windowSeconds,
      });
    } catch (err) {
      log.error('store unavailable while reserving delivery', { webhook: record.name, error: (err as Error).message });
      return sendError(res, 503, 'store_unavailable', 'The delivery store is unavailable; retry later.', {
        headers: retryAfter,
      });
    }

    const source = sourceEvent ?? profile.name;
    const context: TemplateContext = {
      namespace: record.namespace,
      webhook: record.name,
      eventId,
      deliveryId: reservation.delivery.id,
      source,
      profile: profile.name,
      receivedAt: receivedAt.toISOString(),
      payload,
      headers,
      normalized,
    };
    const start = spec.start;
    const rendered = renderIdentifier(start?.workflowId ?? DEFAULT_WORKFLOW_ID_TEMPLATE, context);
    const workflowId = rendered.value;
    const deliveryId = reservation.delivery.id;
    // Only the key holder may free the key; a delivery that found it held just records itself.
    const holdsKey = reservation.reserved;
    const original = reservation.reserved ? undefined : reservation.original;
    const giveUp = async (status: number, reason: string) => {
      if (holdsKey) await releaseAndFinish(deliveryId, status, reason);
      else await finish(deliveryId, { outcome: 'failed', httpStatus: status, reason });
    };
    /** A start that can never succeed as configured: the detail goes to history and status.lastError. */
    const refuseStart = async (status: number, code: string, message: string, detail: string) => {
      await giveUp(status, detail);
      await deps.store.webhooks.recordError(record.id, detail, receivedAt).catch(() => undefined);
      sendError(res, status, code, message);
    };

    if (rendered.unresolved.length > 0) {
      const detail = `workflow id template ${start?.workflowId} left {${rendered.unresolved.join('}, {')}} empty for event ${eventId}`;
      return refuseStart(400, 'webhook_task_creation_failed', 'webhook task creation failed', detail);
    }

    // spec.signal: resume the runs waiting on a matching delivery (waitForWebhook). A 503 releases the
    // key; claims already signaled stay signaled, so the provider's retry resumes only the rest.
    const signalSpec = spec.signal?.enabled ? spec.signal : undefined;
    const signalWaits = async (): Promise<SignalWaitsOutcome | 'store_unavailable'> => {
      try {
        return await signalMatchingWaits({
          store: deps.store,
          client: deps.client,
          logger: log,
          temporalTimeoutMs: deps.temporalTimeoutMs,
          webhook: { id: record.id, name: record.name },
          signal: signalSpec!,
          delivery: {
            deliveryId,
            eventId,
            receivedAt: context.receivedAt,
            source,
            payload,
            headers: visibleHeaders(headers),
          },
          now: now(),
        });
      } catch (err) {
        log.error('store unavailable while matching waits', {
          webhook: record.name,
          deliveryId,
          error: (err as Error).message,
        });
        return 'store_unavailable';
      }
    };
    /** Answers 503 for a failed signal phase; undefined when it went through. */
    const signalFailed = async (outcome: SignalWaitsOutcome | 'store_unavailable') => {
      if (outcome === 'store_unavailable') {
        await giveUp(503, 'store unavailable while matching waits');
        return sendError(res, 503, 'store_unavailable', 'The delivery store is unavailable; retry later.', {
          headers: retryAfter,
        });
      }
      if (outcome.kind === 'unavailable') {
        log.error('Temporal unavailable while signaling waits; delivery released for retry', {
          webhook: record.name,
          deliveryId,
          error: outcome.detail,
        });
        await giveUp(503, 'Temporal unavailable: ' + outcome.detail);
        return sendError(res, 503, 'temporal_unavailable', 'Temporal is unavailable; retry later.', {
          headers: retryAfter,
        });
      }
      return undefined;
    };

    if (!start) {
      // Signal-only: the reservation is the dedup layer. A repeat of a delivery that finished
      // resumes nothing; one still in flight (or crashed) goes on, and the claims decide.
      if (original && original.outcome !== 'pending' && original.outcome !== 'failed') {
        await Promise.all([
          finish(deliveryId, { outcome: 'duplicate', httpStatus: 202, reason: `duplicate of delivery ${original.id}` }),
          markAccepted(record.id, receivedAt),
        ]);
        return res
          .status(202)
          .json({ accepted: true, duplicate: true, deliveryId, originalDeliveryId: original.id, signaled: [] });
      }
      const outcome = await signalWaits();
      if (outcome === 'store_unavailable' || outcome.kind === 'unavailable') return signalFailed(outcome);
      await Promise.all([
        finish(deliveryId, {
          outcome: 'signaled',
          httpStatus: 202,
          reason: `signaled ${outcome.signaled.length} waiting run${outcome.signaled.length === 1 ? '' : 's'}`,
        }),
        markAccepted(record.id, receivedAt),
      ]);
      return res.status(202).json({
        accepted: true,
        duplicate: false,
        deliveryId,
        ...(original ? { originalDeliveryId: original.id } : {}),
        signaled: outcome.signaled,
      });
    }

    // Layer 1 answers a repeat at once only when the original run is known to exist. A key held by
    // a delivery still in flight, or one that crashed before starting, must not swallow the
    // retry: it goes on to the start, where the deterministic workflow id (layer 2) decides.
    if (original && (original.outcome === 'started' || original.outcome === 'duplicate')) {
      await Promise.all([
        finish(reservation.delivery.id, {
          outcome: 'duplicate',
          httpStatus: 202,
          workflowId: original.workflowId ?? workflowId,
          runId: original.runId,
          reason: `duplicate of delivery ${original.id}`,
        }),
        markAccepted(record.id, receivedAt),
      ]);
      return res.status(202).json({
        accepted: true,
        duplicate: true,
        deliveryId: reservation.delivery.id,
        originalDeliveryId: original.id,
        workflowId: original.workflowId ?? workflowId,
        runId: original.runId,
        ...(signalSpec ? { signaled: [] } : {}),
      });
    }

    const input: WebhookStartInput = {
      ...(start.input ? (renderValue(start.input, context) as Record<string, unknown>) : {}),
      webhook_payload: payload,
      webhook_event_id: eventId,
      webhook_received_at: context.receivedAt,
      webhook_source: source,
      webhook_delivery_id: deliveryId,
      webhook_name: record.name,
      webhook_namespace: record.namespace,
      ...(normalized ? { webhook_normalized: normalized } : {}),
    };
    const webhookKey = `${record.namespace}/${record.name}`;
    const inputBytes = Buffer.byteLength(JSON.stringify(input));
    if (inputBytes > MAX_START_INPUT_BYTES) {
      const detail = `the run's input would be ${inputBytes} bytes as JSON; Temporal refuses payloads over 2 MB (send a smaller body or a reference to it)`;
      return refuseStart(413, 'payload_too_large_for_temporal', detail, detail);
    }
    const outcome = await startWebhookWorkflow(
      deps.client,
      {
        workflowType: start.workflowType,
        taskQueue: start.taskQueue,
        workflowId,
        input,
        memo: {
          ...(start.memo ? (renderValue(start.memo, context) as Record<string, unknown>) : {}),
          [TEMPOHOOK_MEMO_KEY]: {
            webhook: webhookKey,
            profile: profile.name,
            eventId,
            deliveryId,
            source,
            receivedAt: context.receivedAt,
          } satisfies TempohookRunMemo,
        },
        searchAttributes: [
          { key: webhookSearchAttribute, value: webhookKey },
          { key: eventIdSearchAttribute, value: eventId },
          { key: sourceSearchAttribute, value: `${profile.name}:${source}` },
        ],
        staticSummary: `Webhook ${webhookKey} · ${source} · event ${eventId}`,
        staticDetails: [
          `**Started by tempohook** from a verified \`${profile.name}\` delivery.`,
          '',
          '| | |',
          '|---|---|',
          `| Webhook | \`${webhookKey}\` |`,
          `| Source event | \`${source}\` |`,
          `| Event id | \`${eventId}\` |`,
          `| Delivery id | \`${deliveryId}\` |`,
          `| Received at | ${context.receivedAt} |`,
          '',
          `History: \`tempohook get deliveries ${record.name}\` or \`GET /v1/webhooks/${record.name}/deliveries?namespace=${record.namespace}\``,
        ].join('\n'),
        workflowExecutionTimeoutSeconds: start.workflowExecutionTimeout,
      },
      deps.temporalTimeoutMs,
    );

    switch (outcome.kind) {
      case 'started':
      case 'already_started': {
        const duplicate = outcome.kind === 'already_started';
        const signaled = signalSpec ? await signalWaits() : undefined;
        if (signaled && (signaled === 'store_unavailable' || signaled.kind === 'unavailable'))
          return signalFailed(signaled);
        await Promise.all([
          finish(deliveryId, {
            outcome: duplicate ? 'duplicate' : 'started',
            httpStatus: 202,
            workflowId: outcome.workflowId,
            runId: outcome.runId,
            reason: duplicate ? 'a run with this workflow id already exists' : null,
          }),
          markAccepted(record.id, receivedAt),
        ]);
        return res.status(202).json({
          accepted: true,
          duplicate,
          deliveryId,
          ...(original ? { originalDeliveryId: original.id } : {}),
          workflowId: outcome.workflowId,
          runId: outcome.runId,
          ...(signaled ? { signaled: signaled.signaled } : {}),
        });
      }
      case 'unavailable': {
        log.error('Temporal unavailable; delivery released for retry', {
          webhook: record.name,
          deliveryId,
          error: outcome.detail,
        });
        await giveUp(503, 'Temporal unavailable: ' + outcome.detail);
        return sendError(res, 503, 'temporal_unavailable', 'Temporal is unavailable; retry later.', {
          headers: retryAfter,
        });
      }
      case 'rejected': {
        log.warn('Temporal rejected the start', { webhook: record.name, deliveryId, error: outcome.detail });
        return refuseStart(
          400,
          'webhook_task_creation_failed',
          'webhook task creation failed',
          `start rejected by Temporal: ${outcome.detail}`,
        );
      }
    }
  };

  async function finish(deliveryId: string, result: Parameters<Store['deliveries']['complete']>[1]) {
    try {
      await deps.store.deliveries.complete(deliveryId, result);
    } catch (err) {
      // Temporal already holds the run; the pending row stays as evidence and the key stays held.
      log.error('could not record delivery outcome', { deliveryId, error: (err as Error).message });
    }
  }

  /** Webhook status (verified, counters) is bookkeeping: a failure is logged, never the answer. */
  async function markAccepted(webhookId: string, at: Date) {
    await deps.store.webhooks
      .recordAccepted(webhookId, at)
      .catch((err: unknown) => log.warn('could not update webhook status', { error: (err as Error).message }));
  }

  async function releaseAndFinish(deliveryId: string, status: number, reason: string) {
    try {
      await deps.store.deliveries.release(deliveryId);
      await deps.store.deliveries.complete(deliveryId, { outcome: 'failed', httpStatus: status, reason });
    } catch (err) {
      log.error('could not release delivery reservation', { deliveryId, error: (err as Error).message });
    }
  }

  // Shutdown waits for deliveries in flight, so none is left holding a key it can no longer release.
  let inFlight = 0;
  const idleWaiters: Array<() => void> = [];
  const tracked: RequestHandler = async (req, res, next) => {
    inFlight++;
    try {
      await handleDelivery(req, res, next);
    } finally {
      if (--inFlight === 0) idleWaiters.splice(0).forEach((wake) => wake());
    }
  };

  const router = express.Router() as express.Router & { drain(timeoutMs: number): Promise<void> };
  router.drain = (timeoutMs) =>
    inFlight === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          idleWaiters.push(resolve);
          setTimeout(resolve, timeoutMs).unref();
        });
  router.post('/v1/webhook-deliveries/:endpointId', resolveEndpoint, readRawBody, bodyErrors, tracked);
  router.all('/v1/webhook-deliveries/:endpointId', (_req, res) => {
    res.setHeader('Allow', 'POST');
    sendError(res, 405, 'method_not_allowed', 'Webhook endpoints accept POST only.');
  });
  return router;
}
