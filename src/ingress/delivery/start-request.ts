/**
 * What a start action asks Temporal for: the workflow id rendered from the webhook's template,
 * the run's input and memo, search attributes, and the summary the Temporal UI shows. Pure:
 * no I/O, so a route or a replay can build the same request.
 */
import { renderIdentifier, renderValue, type TemplateContext } from '../../resources/template';
import type { WebhookStartSpec } from '../../resources/schemas';
import {
  eventIdSearchAttribute,
  sourceSearchAttribute,
  TEMPOHOOK_MEMO_KEY,
  webhookSearchAttribute,
  type TempohookRunMemo,
  type WebhookStartInput,
} from '../../workflows/definitions';
import type { WorkflowStartRequest } from '../workflow-starter';

export const DEFAULT_WORKFLOW_ID_TEMPLATE = '{namespace}/{webhook}/{eventId}';
/** A run's JSON input must stay under Temporal's 2 MB payload limit, with room for the rest of the request. */
export const MAX_START_INPUT_BYTES = 1_900_000;

/** The workflow id, or the placeholders that left it empty (distinct events must not share one id). */
export function renderWorkflowId(start: WebhookStartSpec, context: TemplateContext) {
  return renderIdentifier(start.workflowId ?? DEFAULT_WORKFLOW_ID_TEMPLATE, context);
}

export type StartRequestResult = { ok: true; request: WorkflowStartRequest } | { ok: false; detail: string };

export function buildStartRequest(
  start: WebhookStartSpec,
  workflowId: string,
  context: TemplateContext,
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
      memo: {
        ...(start.memo ? (renderValue(start.memo, context) as Record<string, unknown>) : {}),
        [TEMPOHOOK_MEMO_KEY]: {
          webhook: webhookKey,
          profile,
          eventId,
          deliveryId,
          source,
          receivedAt,
        } satisfies TempohookRunMemo,
      },
      searchAttributes: [
        { key: webhookSearchAttribute, value: webhookKey },
        { key: eventIdSearchAttribute, value: eventId },
        { key: sourceSearchAttribute, value: `${profile}:${source}` },
      ],
      staticSummary: `Webhook ${webhookKey} · ${source} · event ${eventId}`,
      staticDetails: [
        `**Started by tempohook** from a verified \`${profile}\` delivery.`,
        '',
        '| | |',
        '|---|---|',
        `| Webhook | \`${webhookKey}\` |`,
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
