/**
 * OpenTelemetry for tempohook's own ingress process, off unless the standard OTEL_* variables ask
 * for traces. The OpenTelemetry packages load only then (dynamic imports): the API, Temporal's
 * client interceptor, and — unless the process already has an SDK (`node --require …`) —
 * `@opentelemetry/sdk-node`, which reads the same OTEL_* variables (exporter, endpoint, service name).
 */
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type * as OtelApi from '@opentelemetry/api';
import { loadDeliveryTracing, type DeliveryTracing } from '../ingress/delivery';
import type { Logger } from '../logger';

/** True when OTEL_TRACES_EXPORTER (other than `none`) or an OTLP endpoint is set. */
export function tracesConfigured(env: NodeJS.ProcessEnv): boolean {
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export interface ProcessTracing {
  delivery: DeliveryTracing;
  /** For the ingress's Temporal client: carries the delivery's trace into the workflow. */
  clientInterceptors: WorkflowClientInterceptor[];
  shutdown(): Promise<void>;
}

/** A module by a name TypeScript does not resolve (an optional package that may be absent). */
const importOptional = (name: string): Promise<Record<string, unknown>> => import(name);

/** Whether something already registered a tracer provider (an SDK preloaded with --require). */
function hasTracerProvider(api: typeof OtelApi): boolean {
  const provider = api.trace.getTracerProvider() as { getDelegate?: () => object };
  const delegate = provider.getDelegate?.() ?? provider;
  return delegate.constructor.name !== 'NoopTracerProvider';
}

/** Starts tracing when OTEL_* asks for it; undefined (with a warning saying why) when it cannot. */
export async function startProcessTracing(env: NodeJS.ProcessEnv, logger: Logger): Promise<ProcessTracing | undefined> {
  if (!tracesConfigured(env)) return undefined;
  let api: typeof OtelApi;
  let interceptors: typeof import('@temporalio/interceptors-opentelemetry');
  try {
    api = await import('@opentelemetry/api');
    interceptors = await import('@temporalio/interceptors-opentelemetry');
  } catch {
    logger.warn('OTEL_* asks for traces, but the OpenTelemetry packages are not installed; tracing is off', {
      fix: 'npm install @opentelemetry/api @opentelemetry/sdk-node @temporalio/interceptors-opentelemetry',
    });
    return undefined;
  }
  let shutdown = async () => undefined;
  if (!hasTracerProvider(api)) {
    try {
      const { NodeSDK } = (await importOptional('@opentelemetry/sdk-node')) as {
        NodeSDK: new () => { start(): void; shutdown(): Promise<void> };
      };
      const sdk = new NodeSDK();
      sdk.start();
      shutdown = async () => void (await sdk.shutdown());
    } catch {
      logger.warn('OTEL_* asks for traces, but no OpenTelemetry SDK is installed or preloaded; tracing is off', {
        fix: 'npm install @opentelemetry/sdk-node, or preload your SDK with node --require',
      });
      return undefined;
    }
  }
  return {
    delivery: await loadDeliveryTracing(),
    clientInterceptors: [new interceptors.OpenTelemetryWorkflowClientInterceptor()],
    shutdown,
  };
}
