/**
 * Endpoint ids recently looked up and not found, so a sender hammering one unknown URL costs one
 * store query per TTL instead of one per request. Bounded (oldest entries go first) and short-
 * lived: a row restored with a known id is reachable again within the TTL on every replica, and
 * at once on the replica that wrote it. Meant to fold into a webhook lookup cache with
 * LISTEN/NOTIFY invalidation when there is one.
 */
export interface UnknownEndpointCacheOptions {
  /** How long a miss is remembered (default 5 s). */
  ttlMs?: number;
  /** Most ids remembered (default 10,000: about 1 MB). */
  maxEntries?: number;
  now?: () => number;
}

export interface UnknownEndpointCache {
  /** True when `endpointId` was not found less than the TTL ago. */
  has(endpointId: string): boolean;
  remember(endpointId: string): void;
  forget(endpointId: string): void;
  readonly size: number;
}

export function createUnknownEndpointCache(options: UnknownEndpointCacheOptions = {}): UnknownEndpointCache {
  const ttlMs = options.ttlMs ?? 5_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const expiries = new Map<string, number>();
  return {
    has(endpointId) {
      const expiry = expiries.get(endpointId);
      if (expiry === undefined) return false;
      if (expiry > now()) return true;
      expiries.delete(endpointId);
      return false;
    },
    remember(endpointId) {
      expiries.delete(endpointId);
      expiries.set(endpointId, now() + ttlMs);
      // Map keeps insertion order: the first key is the oldest miss.
      while (expiries.size > maxEntries) expiries.delete(expiries.keys().next().value!);
    },
    forget(endpointId) {
      expiries.delete(endpointId);
    },
    get size() {
      return expiries.size;
    },
  };
}
