/**
 * `TempohookPlugin`: add it to your own `Worker.create({ plugins: [new TempohookPlugin({ databaseUrl })] })`
 * (and to `bundleWorkflowCode({ plugins })` when you prebuild bundles). It bundles tempohook's
 * workflow interceptors and registers tempohook's activities on the worker: the ones behind
 * `waitForWebhook` need the ingress's database (`databaseUrl` or an open `store`).
 */
import { ApplicationFailure } from '@temporalio/common';
import { SimplePlugin } from '@temporalio/plugin';
import { createWaitActivities } from '../activities/waits';
import { createStore } from '../store';
import type { Store } from '../store/types';

export interface TempohookPluginOptions {
  /** Activities to register beside tempohook's own (the example worker passes its examples). */
  activities?: object;
  /** The ingress's PostgreSQL (`DATABASE_URL`); the plugin opens it on first use and closes it when the worker stops. */
  databaseUrl?: string;
  /** An open store instead of `databaseUrl` (the caller closes it). */
  store?: Store;
}

export class TempohookPlugin extends SimplePlugin {
  constructor(options: TempohookPluginOptions = {}) {
    let opened: Promise<Store> | undefined;
    const getStore = (): Promise<Store> => {
      if (options.store) return Promise.resolve(options.store);
      if (!options.databaseUrl) {
        return Promise.reject(
          ApplicationFailure.nonRetryable('waitForWebhook needs the worker to reach the ingress database: pass new TempohookPlugin({ databaseUrl }) (or { store })', 'TempohookNotConfigured'),
        );
      }
      opened ??= createStore({ databaseUrl: options.databaseUrl }).catch((err: unknown) => {
        opened = undefined;
        throw err;
      });
      return opened;
    };
    super({
      name: 'tempohook',
      activities: { ...createWaitActivities({ store: getStore }), ...options.activities },
      workerInterceptors: {
        // An absolute path, so the bundler resolves it wherever the package is installed.
        workflowModules: [require.resolve('../workflows/interceptors')],
      },
      async runContext(next) {
        try {
          await next();
        } finally {
          const store = await opened?.catch(() => undefined);
          opened = undefined;
          await store?.close();
        }
      },
    });
  }
}
