/**
 * tempohook's Prometheus metrics (prom-client), registered on a registry the caller owns: the
 * ingress's `/metrics`, `tempohook worker`'s `TEMPOHOOK_METRICS_PORT`, or the user's own registry.
 * Labels are bounded: webhook and subscription names, profiles, outcomes, status codes, stages,
 * refusal codes — never endpoint ids, event ids or delivery ids. The recording calls are what a
 * delivery pays: label children are cached, so a delivery is a few map reads and additions.
 * Gauges that need the store (waits, the outbox) are read when scraped, not kept up to date.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Registry } from 'prom-client';

/** Seconds: 1 ms to 10 s, for stages and whole deliveries. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The metric of that name already on the registry (a second ingress or plugin on it), else a new one. */
function registered<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

/** `labels(...)` once per combination of values. */
function cachedLabels<C>(labels: (...values: string[]) => C): (...values: string[]) => C {
  const children = new Map<string, C>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = children.get(key);
    if (child === undefined) {
      child = labels(...values);
      children.set(key, child);
    }
    return child;
  };
}

/** One answered delivery, as the ingress reports it. */
export interface DeliverySample {
  /** `namespace/name`, or "" when no webhook has the endpoint. */
  webhook: string;
  profile: string;
  outcome: string;
  status: number;
  durationMs: number;
  stages: ReadonlyArray<{ stage: string; ms: number }>;
  /** For a refusal: its code (`signature_mismatch`, `rate_limited`, …). */
  refusalCode?: string;
}

export interface IngressMetrics {
  observeDelivery(sample: DeliverySample): void;
}

export interface IngressMetricSources {
  /** Live waits by state, read at scrape time. */
  waits?: () => Promise<{ open: number; claimed: number }>;
}

export function createIngressMetrics(registry: Registry, sources: IngressMetricSources = {}): IngressMetrics {
  const registers = [registry];
  const deliveries = registered(
    registry,
    'tempohook_deliveries_total',
    () =>
      new Counter({
        name: 'tempohook_deliveries_total',
        help: 'Webhook deliveries answered, by webhook (namespace/name), profile, outcome (the delivery log’s, or unavailable/not_found) and HTTP status.',
        labelNames: ['webhook', 'profile', 'outcome', 'status'],
        registers,
      }),
  );
  const duration = registered(
    registry,
    'tempohook_delivery_duration_seconds',
    () =>
      new Histogram({
        name: 'tempohook_delivery_duration_seconds',
        help: 'Time from a delivery’s arrival to its answer, by outcome.',
        labelNames: ['outcome'],
        buckets: LATENCY_BUCKETS,
        registers,
      }),
  );
  const stageDuration = registered(
    registry,
    'tempohook_delivery_stage_duration_seconds',
    () =>
      new Histogram({
        name: 'tempohook_delivery_stage_duration_seconds',
        help: 'Time spent in each delivery stage: resolve, read, verify, admit, reserve (dedup key), act (start the run, signal waiting runs), record (delivery log), respond.',
        labelNames: ['stage'],
        buckets: LATENCY_BUCKETS,
        registers,
      }),
  );
  const verificationFailures = registered(
    registry,
    'tempohook_verification_failures_total',
    () =>
      new Counter({
        name: 'tempohook_verification_failures_total',
        help: 'Deliveries refused 401 (signature, timestamp, conditions), by webhook and reason code.',
        labelNames: ['webhook', 'reason'],
        registers,
      }),
  );
  const rateLimited = registered(
    registry,
    'tempohook_rate_limited_total',
    () =>
      new Counter({
        name: 'tempohook_rate_limited_total',
        help: 'Deliveries refused 429 by a rate-limit condition, by webhook.',
        labelNames: ['webhook'],
        registers,
      }),
  );
  const waits = sources.waits;
  if (waits)
    registered(
      registry,
      'tempohook_waits',
      () =>
        new Gauge({
          name: 'tempohook_waits',
          help: 'Registered waits (waitForWebhook) by state: open (waiting), claimed (a delivery is signaling it).',
          labelNames: ['state'],
          registers,
          async collect() {
            try {
              const counts = await waits();
              this.set({ state: 'open' }, counts.open);
              this.set({ state: 'claimed' }, counts.claimed);
            } catch {
              // The store did not answer: the scrape shows the last values.
            }
          },
        }),
    );

  const deliveryChild = cachedLabels((...v) => deliveries.labels(...v));
  const durationChild = cachedLabels((...v) => duration.labels(...v));
  const stageChild = cachedLabels((...v) => stageDuration.labels(...v));
  const failureChild = cachedLabels((...v) => verificationFailures.labels(...v));
  const limitedChild = cachedLabels((...v) => rateLimited.labels(...v));

  return {
    observeDelivery(s) {
      deliveryChild(s.webhook, s.profile, s.outcome, String(s.status)).inc();
      durationChild(s.outcome).observe(s.durationMs / 1000);
      for (const t of s.stages) stageChild(t.stage).observe(t.ms / 1000);
      if (s.refusalCode === undefined) return;
      if (s.status === 401) failureChild(s.webhook, s.refusalCode).inc();
      else if (s.status === 429) limitedChild(s.webhook).inc();
    },
  };
}

export type NotificationAttemptOutcome = 'succeeded' | 'retry' | 'final';

export interface NotificationMetrics {
  /** One attempt to deliver a notification (first attempts and retries alike). */
  attempt(outcome: NotificationAttemptOutcome): void;
}

/** Queued outbox rows and the age of the oldest. */
export interface OutboxBacklog {
  queued: number;
  oldestSeconds: number;
}

export interface NotificationMetricSources {
  /** The outbox backlog, read at scrape time. */
  outbox?: () => Promise<OutboxBacklog>;
}

export function createNotificationMetrics(
  registry: Registry,
  sources: NotificationMetricSources = {},
): NotificationMetrics {
  const registers = [registry];
  const attempts = registered(
    registry,
    'tempohook_notification_attempts_total',
    () =>
      new Counter({
        name: 'tempohook_notification_attempts_total',
        help: 'Notification delivery attempts by outcome: succeeded, retry (retried later), final (not retried).',
        labelNames: ['outcome'],
        registers,
      }),
  );
  const outbox = sources.outbox;
  if (outbox) {
    // A scrape collects every metric at once, so both gauges share the one backlog query in flight:
    // each sets its value from the same answer (a gauge reading the other's last value would be a scrape behind).
    let reading: Promise<OutboxBacklog> | undefined;
    const backlog = () =>
      (reading ??= outbox().finally(() => {
        reading = undefined;
      }));
    const backlogGauge = (name: string, help: string, value: (o: OutboxBacklog) => number) =>
      registered(
        registry,
        name,
        () =>
          new Gauge({
            name,
            help,
            registers,
            async collect() {
              try {
                this.set(value(await backlog()));
              } catch {
                // The store did not answer: the scrape shows the last value.
              }
            },
          }),
      );
    backlogGauge(
      'tempohook_notification_outbox_queued',
      'Notification deliveries waiting in the outbox for their first attempt.',
      (o) => o.queued,
    );
    backlogGauge(
      'tempohook_notification_outbox_lag_seconds',
      'Age of the oldest notification delivery waiting in the outbox (0 when none waits).',
      (o) => o.oldestSeconds,
    );
  }
  const attemptChild = cachedLabels((...v) => attempts.labels(...v));
  return { attempt: (outcome) => attemptChild(outcome).inc() };
}

/** The registry's text exposition, for a `/metrics` handler. */
export async function metricsText(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
