/**
 * `TempohookPlugin`: add it to your own `Worker.create({ plugins: [new TempohookPlugin()] })`
 * (and to `bundleWorkflowCode({ plugins })` when you prebuild bundles). It bundles tempohook's
 * workflow interceptors and registers tempohook's activities on the worker; with a database
 * (`databaseUrl` or `store`) every run's lifecycle events go to the matching subscriptions.
 */
import { SimplePlugin } from '@temporalio/plugin';
import { createNotificationActivities } from '../activities/notifications';
import { createLogger, type Logger } from '../logger';
import { createOutboundGuard } from '../outbound/outbound-guard';
import { recordStepAttempts } from '../outbound/step-attempts';
import { loadSubscriptionsFile } from '../outbound/subscriptions';
import { createStore } from '../store';
import type { Store } from '../store/types';
import { withTempohookWorkflows } from './workflows-wrapper';

export interface TempohookPluginOptions {
  /** Activities to register beside tempohook's own (the example worker passes its examples). */
  activities?: object;
  /** PostgreSQL for subscriptions and the delivery log; the plugin opens (and migrates) it on first use. */
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
    const logger = options.logger ?? createLogger({ base: { component: 'tempohook-notifications' } });
    let opened: Promise<Store | undefined> | undefined;
    const store = () =>
      (opened ??= options.store
        ? Promise.resolve(options.store)
        : options.databaseUrl
          ? createStore({ databaseUrl: options.databaseUrl, logger }).catch((err: unknown) => {
              opened = undefined;
              throw err;
            })
          : Promise.resolve(undefined));
    const subscriptionsFile = options.subscriptionsFile ?? process.env.TEMPOHOOK_SUBSCRIPTIONS_FILE;
    const notificationActivities = createNotificationActivities({
      store,
      settings: subscriptionsFile ? loadSubscriptionsFile(subscriptionsFile) : [],
      guard: createOutboundGuard(options.outboundAllow ?? process.env.TEMPOHOOK_OUTBOUND_ALLOW),
      logger,
    });
    super({
      name: 'tempohook',
      activities: { ...notificationActivities, ...options.activities },
      workflowsPath: (existing) => withTempohookWorkflows(existing)!,
      workerInterceptors: {
        activity: [recordStepAttempts],
        // Absolute paths, so the bundler resolves them wherever the package is installed.
        workflowModules: [require.resolve('../workflows/interceptors'), require.resolve('../workflows/notification-interceptors')],
      },
    });
  }
}
