/**
 * `TempohookPlugin`: add it to your own `Worker.create({ plugins: [new TempohookPlugin({ databaseUrl })] })`
 * (and to `bundleWorkflowCode({ plugins })` when you prebuild bundles). It bundles tempohook's
 * workflow interceptors and registers tempohook's activities on the worker: the ones behind
 * `waitForWebhook` need the ingress's database (`databaseUrl` or an open `store`).
 */
import { SimplePlugin } from '@temporalio/plugin';
import { createWaitActivities } from '../activities/waits';
import type { Store } from '../store/types';
import { createPluginStore } from './plugin-store';

export interface TempohookPluginOptions {
  /** Activities to register beside tempohook's own (the example worker passes its examples). */
  activities?: object;
  /** The ingress's PostgreSQL (`DATABASE_URL`), for waitForWebhook; opened on first use, closed when the worker stops. */
  databaseUrl?: string;
  /** An open store instead of `databaseUrl` (the caller closes it). */
  store?: Store;
}

export class TempohookPlugin extends SimplePlugin {
  constructor(options: TempohookPluginOptions = {}) {
    const store = createPluginStore(options);
    super({
      name: 'tempohook',
      activities: { ...createWaitActivities({ store: () => store.get() }), ...options.activities },
      workerInterceptors: {
        // An absolute path, so the bundler resolves it wherever the package is installed.
        workflowModules: [require.resolve('../workflows/interceptors')],
      },
      runContext: (next) => next().finally(() => store.close()),
    });
  }
}
