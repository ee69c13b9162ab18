/**
 * What a start action asks Temporal for: the workflow id rendered from the webhook's template,
 * the run's input and memo, search attributes, and the summary the Temporal UI shows. Pure:
 * no I/O, so a route or a replay can build the same request.
 */
import { renderIdentifier, renderValue, type TemplateContext } from '../../resources/template';
import type { WebhookRouteSpec, WebhookStartSpec } from '../../resources/schemas';
import { DEFAULT_ROUTE_SIGNAL } from '../../resources/route-schema';
import { visibleHeaders } from '../../waits/match';
import {
  eventIdSearchAttribute,
  sourceSearchAttribute,
  TEMPOHOOK_MEMO_KEY,
  webhookSearchAttribute,
  type TempohookRunMemo,
  type WebhookEventSignalInput,
  type WebhookStartInput,
} from '../../workflows/definitions';
import { routeRequestId, type EntitySignalRequest } from '../entity-signaler';
import type { WorkflowStartRequest } from '../workflow-starter';

export const DEFAULT_WORKFLOW_ID_TEMPLATE = '{namespace}/{webhook}/{eventId}';
/** A run's JSON input must stay under Temporal's 2 MB payload limit, with room for the rest of the request. */
export const MAX_START_INPUT_BYTES = 1_900_000;

/**
 * Default workflow id of a `start` route: the route name keeps two routes' runs of one event apart.
 * Route names are resource names (lower-case letters, digits, dashes), so no placeholder can hide in one.
 */
export function routeWorkflowIdTemplate(route: string): string {
  return `{namespace}/{webhook}/${route}/{eventId}`;
}

/** The workflow id, or the placeholders that left it empty (distinct events must not share one id). */
export function renderWorkflowId(
  start: Pick<WebhookStartSpec, 'workflowId'>,
  context: TemplateContext,
  route?: string,
) {
  const fallback = route === undefined ? DEFAULT_WORKFLOW_ID_TEMPLATE : routeWorkflowIdTemplate(route);
  return renderIdentifier(start.workflowId ?? fallback, context);
}

type SignalWithStartSpec = NonNullable<WebhookRouteSpec['signalWithStart']>;

/** The memo every run tempohook starts carries: the user's, and the delivery (and route) behind it. */
function runMemo(spec: { memo?: Record<string, unknown> | undefined }, context: TemplateContext, route?: string) {
  const { namespace, webhook, eventId, deliveryId, source, profile, receivedAt } = context;
  return {
    ...(spec.memo ? (renderValue(spec.memo, context) as Record<string, unknown>) : {}),
    [TEMPOHOOK_MEMO_KEY]: {
      webhook: `${namespace}/${webhook}`,
      profile,
      eventId,
      deliveryId,
      source,
      receivedAt,
      ...(route === undefined ? {} : { route }),
    } satisfies TempohookRunMemo,
  };
}

/**
 * What a `signalWithStart` route asks Temporal for: the delivery as the entity's signal (with
 * the event id `onWebhook` deduplicates on), the route's input when this starts the entity, and
 * a request id fixed per (webhook, event, route) so the server drops a repeat within the run.
 */
export function buildEntitySignalRequest(
  spec: SignalWithStartSpec,
  route: string,
  workflowId: string,
  context: TemplateContext,
): EntitySignalRequest {
  const webhookKey = `${context.namespace}/${context.webhook}`;
  const signalInput: WebhookEventSignalInput = {
    webhook: webhookKey,
    route,
    delivery: {
      deliveryId: context.deliveryId,
      eventId: context.eventId,
      receivedAt: context.receivedAt,
      source: context.source,
      payload: context.payload,
      headers: visibleHeaders(context.headers),
    },
  };
  return {
    workflowType: spec.workflowType,
    taskQueue: spec.taskQueue,
    workflowId,
    input: spec.input ? renderValue(spec.input, context) : {},
    signalName: spec.signal ?? DEFAULT_ROUTE_SIGNAL,
    signalInput,
    requestId: routeRequestId(webhookKey, context.eventId, route),
    memo: runMemo(spec, context, route),
    searchAttributes: [{ key: webhookSearchAttribute, value: webhookKey }],
    // Parsed by the webhook schema (durationSpec): seconds.
    ...(spec.workflowExecutionTimeout
      ? { workflowExecutionTimeoutSeconds: spec.workflowExecutionTimeout as number }
      : {}),
  };
}

export type StartRequestResult = { ok: true; request: WorkflowStartRequest } | { ok: false; detail: string };

export function buildStartRequest(
  start: WebhookStartSpec,
  workflowId: string,
  context: TemplateContext,
  /** The route of `spec.routes` that starts it (none for `spec.start`): kept in the memo. */
  route?: string,
): StartRequestResult {
  const { namespace, webhook, eventId, deliveryId, source, profile, receivedAt, payload, normalized } = context;
  const input: WebhookStartInput = {
    ...(start.input ? (renderValue(start.input, context) as Record<string, unknown>) : {}),
    webhook_payload: payload,
    webhook_event_id: eventId,
    webhook_received_at: receivedAt,
    webhook_source: source,
    webhook_delivery_id: deliveryId,
    webhook_name: webhook,
    webhook_namespace: namespace,
    ...(normalized ? { webhook_normalized: normalized } : {}),
  };
  const inputBytes = Buffer.byteLength(JSON.stringify(input));
  if (inputBytes > MAX_START_INPUT_BYTES)
    return {
      ok: false,
      detail: `the run's input would be ${inputBytes} bytes as JSON; Temporal refuses payloads over 2 MB (send a smaller body or a reference to it)`,
    };
  const webhookKey = `${namespace}/${webhook}`;
  return {
    ok: true,
    request: {
      workflowType: start.workflowType,
      taskQueue: start.taskQueue,
      workflowId,
      input,
      memo: runMemo(start, context, route),
      searchAttributes: [
        { key: webhookSearchAttribute, value: webhookKey },
        { key: eventIdSearchAttribute, value: eventId },
        { key: sourceSearchAttribute, value: `${profile}:${source}` },
      ],
      staticSummary: `Webhook ${webhookKey}${route === undefined ? '' : ` · route ${route}`} · ${source} · event ${eventId}`,
      staticDetails: [
        `**Started by tempohook** from a verified \`${profile}\` delivery.`,
        '',
        '| | |',
        '|---|---|',
        `| Webhook | \`${webhookKey}\` |`,
        ...(route === undefined ? [] : [`| Route | \`${route}\` |`]),
        `| Source event | \`${source}\` |`,
        `| Event id | \`${eventId}\` |`,
        `| Delivery id | \`${deliveryId}\` |`,
        `| Received at | ${receivedAt} |`,
        '',
        `History: \`tempohook get deliveries ${webhook}\` or \`GET /v1/webhooks/${webhook}/deliveries?namespace=${namespace}\``,
      ].join('\n'),
      workflowExecutionTimeoutSeconds: start.workflowExecutionTimeout,
    },
  };
}
