/**
 * The store `TempohookPlugin`'s activities use: the caller's open store, or one the plugin opens
 * from `databaseUrl` on first use and closes when the worker stops. Without either, the
 * activities fail non-retryably with a message saying what to pass.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createStore } from '../store';
import type { Store } from '../store/types';

export interface PluginStoreOptions {
  databaseUrl?: string;
  store?: Store;
}

export function createPluginStore(options: PluginStoreOptions): { get(): Promise<Store>; close(): Promise<void> } {
  let opened: Promise<Store> | undefined;
  return {
    get() {
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
    },
    async close() {
      const store = await opened?.catch(() => undefined);
      opened = undefined;
      await store?.close();
    },
  };
}
