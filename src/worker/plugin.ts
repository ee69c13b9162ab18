/**
 * `TempohookPlugin`: add it to your own `Worker.create({ plugins: [new TempohookPlugin({ databaseUrl })] })`
 * (and to `bundleWorkflowCode({ plugins })` when you prebuild bundles). It bundles tempohook's
 * workflow interceptors and registers tempohook's activities on the worker. Both features need the
 * ingress's database (`databaseUrl` or an open `store`): `waitForWebhook` fails without it, and
 * with it every run's lifecycle events go to the matching subscriptions: the interceptors hand
 * each event to a worker sink (nothing in the run's history), which stores it in the outbox
 * before the workflow task completes; the worker's dispatcher delivers it, and a close observer
 * adds terminations and timeouts.
 */
import { SimplePlugin } from '@temporalio/plugin';
import type { InjectedSinks, ReplayWorkerOptions, Worker, WorkerOptions } from '@temporalio/worker';
import { createNotificationActivities } from '../activities/notifications';
import { createWaitActivities } from '../activities/waits';
import { createLogger, type Logger } from '../logger';
import { createNotificationMetrics, type NotificationMetrics, type Registry } from '../metrics';
import { startCloseObserver } from '../outbound/close-observer';
import { startDispatcher, type Dispatcher } from '../outbound/dispatcher';
import { createOutboundGuard } from '../outbound/outbound-guard';
import { createOutboxWriter, type OutboxWriter } from '../outbound/outbox-writer';
import { recordStepAttempts } from '../outbound/step-attempts';
import { createSubscriptionCache, type SubscriptionCache } from '../outbound/subscription-cache';
import { loadSubscriptionsFile, type ResolvedSubscription } from '../outbound/subscriptions';
import type { Store } from '../store/types';
import {
  NOTIFICATION_SINK,
  type DispatchEventInput,
  type NotificationSinks,
} from '../workflows/notification-definitions';
import { createPluginStore, type PluginStore } from './plugin-store';
import { createRuntimeNotificationMetrics, type RuntimeNotificationMetrics } from './runtime-metrics';
import { withTempohookWorkflows } from './workflows-wrapper';

export interface TempohookPluginOptions {
  /** Activities to register beside tempohook's own (the example worker passes its examples). */
  activities?: object;
  /** The ingress's PostgreSQL (`DATABASE_URL`): waits, subscriptions and the notification log. Opened (and migrated) on first use, closed when the worker stops. */
  databaseUrl?: string;
  /** Key of Secrets encrypted at rest, for the store opened from `databaseUrl` (default: TEMPOHOOK_SECRET_KEY). */
  encryptionKey?: string;
  /** An open store instead of `databaseUrl` (its owner closes it). */
  store?: Store;
  /** Global subscriptions (default: TEMPOHOOK_SUBSCRIPTIONS_FILE). */
  subscriptionsFile?: string;
  /** CIDRs and hosts outbound notifications may reach despite being private (default: TEMPOHOOK_OUTBOUND_ALLOW). */
  outboundAllow?: string;
  /** How often the worker looks for terminated and timed-out runs (default 10 s). */
  closeObserverIntervalMs?: number;
  logger?: Logger;
  /**
   * Where notification attempts and the outbox backlog are counted: a prom-client registry (serve
   * it where your worker's metrics are scraped; `tempohook worker` serves its own on
   * TEMPOHOOK_METRICS_PORT), or `'runtime'`: the Temporal Runtime's meter, beside the SDK's own
   * metrics (`Runtime.install({ telemetryOptions: { metrics } })`).
   */
  metrics?: Registry | 'runtime';
}

/** The notification path over one open store: the subscription cache and the outbox writer. */
interface NotificationPath {
  store: Store;
  cache: SubscriptionCache;
  writer: OutboxWriter;
}

export class TempohookPlugin extends SimplePlugin {
  private readonly store: PluginStore;
  private readonly settings: readonly ResolvedSubscription[];
  private readonly logger: Logger;
  private readonly guard: ReturnType<typeof createOutboundGuard>;
  private readonly closeObserverIntervalMs: number | undefined;
  private readonly metrics: NotificationMetrics | RuntimeNotificationMetrics | undefined;
  private path: NotificationPath | undefined;
  /** The running workers' dispatchers, by `namespace/taskQueue`. */
  private readonly dispatchers = new Map<string, Dispatcher>();

  constructor(options: TempohookPluginOptions = {}) {
    const logger = options.logger ?? createLogger({ base: { component: 'tempohook-plugin' } });
    const encryptionKey = options.encryptionKey ?? process.env.TEMPOHOOK_SECRET_KEY;
    const store = createPluginStore({ ...options, ...(encryptionKey ? { encryptionKey } : {}), logger });
    const subscriptionsFile = options.subscriptionsFile ?? process.env.TEMPOHOOK_SUBSCRIPTIONS_FILE;
    const settings = subscriptionsFile ? loadSubscriptionsFile(subscriptionsFile) : [];
    const guard = createOutboundGuard(options.outboundAllow ?? process.env.TEMPOHOOK_OUTBOUND_ALLOW);
    const backlog = async () => {
      const open = await store.getIfConfigured();
      return open ? open.notificationOutbox.backlog() : { queued: 0, oldestSeconds: 0 };
    };
    const metrics =
      options.metrics === 'runtime'
        ? createRuntimeNotificationMetrics()
        : options.metrics
          ? createNotificationMetrics(options.metrics, { outbox: backlog })
          : undefined;
    // `recordEvent` needs `this`, which exists only after super(): the activities call it late.
    const self: { plugin?: TempohookPlugin } = {};
    const notificationActivities = createNotificationActivities({
      store: () => store.getIfConfigured(),
      recordEvent: (input) => self.plugin!.recordEvent(input),
      settings,
      guard,
      logger,
      ...(metrics ? { metrics } : {}),
    });
    super({
      name: 'tempohook',
      activities: {
        ...createWaitActivities({ store: () => store.get() }),
        ...notificationActivities,
        ...options.activities,
      },
      workflowsPath: (existing) => withTempohookWorkflows(existing)!,
      workerInterceptors: {
        activity: [recordStepAttempts],
        // Absolute paths, so the bundler resolves them wherever the package is installed.
        workflowModules: [
          require.resolve('../workflows/interceptors'),
          require.resolve('../workflows/notification-interceptors'),
        ],
      },
      runContext: (next) => {
        // The ingress never reads the settings file: announcing its entries makes them visible in the API before their first delivery.
        if (settings.length > 0) {
          void store
            .getIfConfigured()
            .then((s) => s?.subscriptions.register(settings.map((sub) => sub.key)))
            .catch((err: unknown) =>
              logger.warn('could not announce the settings-file subscriptions', { error: (err as Error).message }),
            );
        }
        return next().finally(() => store.close());
      },
    });
    self.plugin = this;
    this.store = store;
    this.settings = settings;
    this.logger = logger;
    this.guard = guard;
    this.closeObserverIntervalMs = options.closeObserverIntervalMs;
    this.metrics = metrics;
  }

  private sinks(): InjectedSinks<NotificationSinks> {
    return {
      [NOTIFICATION_SINK]: {
        // Awaited by the worker before the workflow task completes; not called on replay.
        record: {
          fn: (_info, input) => (this.nothingSubscribed() ? undefined : this.recordEvent(input).then(() => undefined)),
        },
      },
    };
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    const configured = super.configureWorker(options);
    return { ...configured, sinks: { ...configured.sinks, ...this.sinks() } };
  }

  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    const configured = super.configureReplayWorker(options);
    return { ...configured, sinks: { ...configured.sinks, ...this.sinks() } };
  }

  private async notificationPath(): Promise<NotificationPath | undefined> {
    const store = await this.store.getIfConfigured();
    if (!store) return undefined;
    if (this.path?.store !== store) {
      this.path?.cache.close();
      this.path?.writer.close();
      const cache = createSubscriptionCache({ store, settings: this.settings, logger: this.logger });
      this.path = { store, cache, writer: createOutboxWriter({ store, cache, logger: this.logger }) };
    }
    return this.path;
  }

  /**
   * No subscription at all, known without waiting (open store, current cached list): the sink
   * returns at once, with no promise, statement or allocation per event.
   */
  private nothingSubscribed(): boolean {
    const store = this.store.peek();
    return store !== undefined && this.path?.store === store && this.path.cache.peek()?.candidates.length === 0;
  }

  /** Stores an event's deliveries (the sink and the first design's local activity); returns how many. */
  private async recordEvent(input: DispatchEventInput): Promise<number> {
    const path = await this.notificationPath();
    if (!path) return 0;
    const rows = await path.writer.record(input.envelope, input.runSubscriptions);
    const workflow = input.envelope.workflow;
    if (rows.length > 0 && workflow) this.dispatchers.get(`${workflow.namespace}/${workflow.taskQueue}`)?.take(rows);
    return rows.length;
  }

  /** Starts this worker's dispatcher and close observer once the store is open; resolves with their stop. */
  private async startNotifications(worker: Worker): Promise<(() => Promise<void>) | undefined> {
    const path = await this.notificationPath();
    const client = worker.client;
    if (!path || !client) return undefined;
    const { namespace, taskQueue } = worker.options;
    const key = `${namespace}/${taskQueue}`;
    const dispatcher = startDispatcher({
      store: path.store,
      cache: path.cache,
      client,
      namespace,
      taskQueue,
      guard: this.guard,
      logger: this.logger,
      ...(this.metrics ? { metrics: this.metrics } : {}),
    });
    this.dispatchers.set(key, dispatcher);
    const observer = startCloseObserver({
      client,
      namespace,
      taskQueue,
      record: (input) => this.recordEvent(input),
      wanted: async () => (await path.cache.get()).candidates.length > 0,
      ...(this.closeObserverIntervalMs ? { intervalMs: this.closeObserverIntervalMs } : {}),
      logger: this.logger,
    });
    const stopPolling =
      this.metrics && 'pollOutbox' in this.metrics
        ? this.metrics.pollOutbox(() => path.store.notificationOutbox.backlog())
        : undefined;
    return async () => {
      stopPolling?.();
      this.dispatchers.delete(key);
      await Promise.all([observer.stop(), dispatcher.stop()]);
    };
  }

  override async runWorker(worker: Worker, next: (w: Worker) => Promise<void>): Promise<void> {
    // Not awaited: the worker polls at once; opening the store must not delay it.
    const started = this.startNotifications(worker).catch((err: unknown) => {
      this.logger.warn('notifications off for now: the database is not reachable', {
        error: (err as Error).message,
      });
      return undefined;
    });
    return super.runWorker(worker, async (w) => {
      try {
        await next(w);
      } finally {
        await (
          await started
        )?.();
      }
    });
  }
}
