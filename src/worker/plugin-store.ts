/**
 * The store `TempohookPlugin`'s activities use: the caller's open store, or one the plugin opens
 * from `databaseUrl` on first use and closes when the worker stops. Without either, the
 * activities fail non-retryably with a message saying what to pass.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createStore } from '../store';
import type { Logger } from '../logger';
import type { Store } from '../store/types';

export interface PluginStoreOptions {
  databaseUrl?: string;
  store?: Store;
  /** Key of Secrets encrypted at rest (TEMPOHOOK_SECRET_KEY), for the store opened from `databaseUrl`. */
  encryptionKey?: string;
  logger?: Logger;
}

export interface PluginStore {
  /** The store; rejects non-retryably when the plugin was given no database. */
  get(): Promise<Store>;
  /** The store, or undefined when the plugin was given no database (features that are optional). */
  getIfConfigured(): Promise<Store | undefined>;
  /** The store if it is open now (no wait): the sink's synchronous no-subscription check. */
  peek(): Store | undefined;
  close(): Promise<void>;
}

export function createPluginStore(options: PluginStoreOptions): PluginStore {
  let opened: Promise<Store> | undefined;
  let open: Store | undefined;
  const getIfConfigured = (): Promise<Store | undefined> => {
    if (options.store) return Promise.resolve(options.store);
    if (!options.databaseUrl) return Promise.resolve(undefined);
    opened ??= createStore({
      databaseUrl: options.databaseUrl,
      ...(options.encryptionKey ? { encryptionKey: options.encryptionKey } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    }).then(
      (store) => (open = store),
      (err: unknown) => {
        opened = undefined;
        throw err;
      },
    );
    return opened;
  };
  return {
    getIfConfigured,
    async get() {
      const store = await getIfConfigured();
      if (store) return store;
      throw ApplicationFailure.nonRetryable(
        'waitForWebhook needs the worker to reach the ingress database: pass new TempohookPlugin({ databaseUrl }) (or { store })',
        'TempohookNotConfigured',
      );
    },
    peek: () => options.store ?? open,
    async close() {
      const store = await opened?.catch(() => undefined);
      opened = undefined;
      open = undefined;
      await store?.close();
    },
  };
}
