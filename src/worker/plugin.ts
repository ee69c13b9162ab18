/**
 * `TempohookPlugin`: add it to your own `Worker.create({ plugins: [new TempohookPlugin({ databaseUrl })] })`
 * (and to `bundleWorkflowCode({ plugins })` when you prebuild bundles). It bundles tempohook's
 * workflow interceptors and registers tempohook's activities on the worker. Both features need the
 * ingress's database (`databaseUrl` or an open `store`): `waitForWebhook` fails without it, and
 * with it every run's lifecycle events go to the matching subscriptions.
 */
import { SimplePlugin } from '@temporalio/plugin';
import { createNotificationActivities } from '../activities/notifications';
import { createWaitActivities } from '../activities/waits';
import { createLogger, type Logger } from '../logger';
import { createOutboundGuard } from '../outbound/outbound-guard';
import { recordStepAttempts } from '../outbound/step-attempts';
import { loadSubscriptionsFile } from '../outbound/subscriptions';
import type { Store } from '../store/types';
import { createPluginStore } from './plugin-store';
import { withTempohookWorkflows } from './workflows-wrapper';

export interface TempohookPluginOptions {
  /** Activities to register beside tempohook's own (the example worker passes its examples). */
  activities?: object;
  /** The ingress's PostgreSQL (`DATABASE_URL`): waits, subscriptions and the notification log. Opened (and migrated) on first use, closed when the worker stops. */
  databaseUrl?: string;
  /** An open store instead of `databaseUrl` (its owner closes it). */
  store?: Store;
  /** Global subscriptions (default: TEMPOHOOK_SUBSCRIPTIONS_FILE). */
  subscriptionsFile?: string;
  /** CIDRs and hosts outbound notifications may reach despite being private (default: TEMPOHOOK_OUTBOUND_ALLOW). */
  outboundAllow?: string;
  logger?: Logger;
}

export class TempohookPlugin extends SimplePlugin {
  constructor(options: TempohookPluginOptions = {}) {
    const logger = options.logger ?? createLogger({ base: { component: 'tempohook-plugin' } });
    const store = createPluginStore({ ...options, logger });
    const subscriptionsFile = options.subscriptionsFile ?? process.env.TEMPOHOOK_SUBSCRIPTIONS_FILE;
    const settings = subscriptionsFile ? loadSubscriptionsFile(subscriptionsFile) : [];
    const notificationActivities = createNotificationActivities({
      store: () => store.getIfConfigured(),
      settings,
      guard: createOutboundGuard(options.outboundAllow ?? process.env.TEMPOHOOK_OUTBOUND_ALLOW),
      logger,
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
  }
}
