/**
 * OpenTelemetry for deliveries: a `tempohook.delivery` span per request (continuing the caller's
 * `traceparent` when it sends one), active while the pipeline runs, so a Temporal client with
 * `OpenTelemetryWorkflowClientInterceptor` carries it into the started or signalled workflow;
 * the stages become span events, the outcome span attributes. `@opentelemetry/api` is loaded
 * only by `loadDeliveryTracing`, so an ingress without tracing never loads it.
 */
import type { IncomingMessage } from 'node:http';
import type * as OtelApi from '@opentelemetry/api';
import { TempohookError } from '../../errors';
import type { DeliveryObserver } from './observe';

export interface DeliveryTracing {
  /** Runs a delivery inside its span, which it ends. */
  around<T>(req: IncomingMessage, run: () => Promise<T>): Promise<T>;
  /** Adds the stages and the outcome to the delivery's span. */
  observer: DeliveryObserver;
}

/** Delivery tracing on the global tracer provider (the one the application's OpenTelemetry SDK registered). */
export async function loadDeliveryTracing(): Promise<DeliveryTracing> {
  let api: typeof OtelApi;
  try {
    api = await import('@opentelemetry/api');
  } catch {
    throw new TempohookError(
      'dependency_missing',
      'Tracing needs @opentelemetry/api (and an OpenTelemetry SDK): npm install @opentelemetry/api @opentelemetry/sdk-node',
      500,
    );
  }
  const tracer = api.trace.getTracer('tempohook');
  return {
    around(req, run) {
      const parent = api.propagation.extract(api.context.active(), req.headers);
      return tracer.startActiveSpan(
        'tempohook.delivery',
        { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'POST' } },
        parent,
        async (span) => {
          try {
            return await run();
          } catch (err) {
            span.recordException(err as Error);
            span.setStatus({ code: api.SpanStatusCode.ERROR });
            throw err;
          } finally {
            span.end();
          }
        },
      );
    },
    observer({ ctx, verdict, outcome, status, requestId }) {
      const span = api.trace.getActiveSpan();
      if (!span) return;
      let at = ctx.receivedAt.getTime();
      for (const t of ctx.timings) {
        at += t.ms;
        span.addEvent(t.stage, { 'tempohook.stage.duration_ms': Math.round(t.ms * 1000) / 1000 }, new Date(at));
      }
      const webhook = ctx.webhook?.record;
      span.setAttributes({
        'http.response.status_code': status,
        'tempohook.outcome': outcome,
        'tempohook.request_id': requestId,
        ...(webhook ? { 'tempohook.webhook': `${webhook.namespace}/${webhook.name}` } : {}),
        ...(ctx.eventId ? { 'tempohook.event_id': ctx.eventId } : {}),
        ...(verdict.kind === 'refused' ? { 'tempohook.refusal': verdict.code } : {}),
        ...(verdict.kind === 'accepted' ? { 'tempohook.delivery_id': verdict.answer.deliveryId } : {}),
        ...(verdict.kind === 'accepted' && verdict.answer.workflowId
          ? { temporalWorkflowId: verdict.answer.workflowId }
          : {}),
      });
      if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR, message: outcome });
    },
  };
}
