/**
 * Notification metrics on the Temporal Runtime's own meter (`Runtime.install({ telemetryOptions:
 * { metrics: … } })`): for a worker whose metrics are already scraped from the SDK's Prometheus or
 * OpenTelemetry exporter, `TempohookPlugin({ metrics: 'runtime' })` adds tempohook's there. The
 * meter only pushes, so the outbox gauges are read every `intervalMs` while a worker runs.
 */
import { Runtime } from '@temporalio/worker';
import type { MetricCounter } from '@temporalio/common';
import type { NotificationMetrics } from '../metrics';

export interface RuntimeNotificationMetrics extends NotificationMetrics {
  /** Reads the outbox backlog into the gauges until the returned stop is called. */
  pollOutbox(read: () => Promise<{ queued: number; oldestSeconds: number }>, intervalMs?: number): () => void;
}

export function createRuntimeNotificationMetrics(): RuntimeNotificationMetrics {
  // The meter is taken when first used: the Runtime may be installed after the plugin is made.
  let attempts: MetricCounter | undefined;
  return {
    attempt(outcome) {
      attempts ??= Runtime.instance().metricMeter.createCounter(
        'tempohook_notification_attempts',
        'attempts',
        'Notification delivery attempts by outcome: succeeded, retry (retried later), final (not retried).',
      );
      attempts.add(1, { outcome });
    },
    pollOutbox(read, intervalMs = 15_000) {
      const meter = Runtime.instance().metricMeter;
      const queued = meter.createGauge(
        'tempohook_notification_outbox_queued',
        'int',
        'deliveries',
        'Notification deliveries waiting in the outbox for their first attempt.',
      );
      const lag = meter.createGauge(
        'tempohook_notification_outbox_lag_seconds',
        'float',
        'seconds',
        'Age of the oldest notification delivery waiting in the outbox (0 when none waits).',
      );
      const tick = async () => {
        try {
          const backlog = await read();
          queued.set(backlog.queued);
          lag.set(backlog.oldestSeconds);
        } catch {
          // The store did not answer: the gauges keep their last values.
        }
      };
      void tick();
      const timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
