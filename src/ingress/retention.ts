/**
 * Retention: the delivery log, and notification deliveries with their attempts, are deleted once
 * older than their retention — a resource's `spec.retention.deliveries`, else the process default
 * (TEMPOHOOK_DELIVERY_RETENTION, TEMPOHOOK_NOTIFICATION_RETENTION; 30 days each); the audit log
 * after TEMPOHOOK_AUDIT_RETENTION (90 days). Every ingress
 * replica's periodic job runs it: batches of `batchSize` rows per statement, rows another replica
 * has locked skipped, so no statement holds many locks or runs long.
 */
import type { Logger } from '../logger';
import { subscriptionSpec } from '../resources/kinds/subscription';
import { webhookSpec } from '../resources/schemas';
import { payloadRetentionSeconds } from './delivery/keep-payload';
import { subscriptionKey } from '../store/subscriptions-repository';
import type { Store } from '../store/types';

/** Default retention of the delivery log and of notification deliveries, in seconds. */
export const DEFAULT_RETENTION_SECONDS = 30 * 86400;

/** Default retention of the management API's audit log, in seconds. */
export const DEFAULT_AUDIT_RETENTION_SECONDS = 90 * 86400;

/** Rows deleted per statement. */
export const PURGE_BATCH_SIZE = 1000;

export interface RetentionDefaults {
  /** Delivery log (TEMPOHOOK_DELIVERY_RETENTION). */
  deliveriesSeconds: number;
  /** Notification deliveries and attempts (TEMPOHOOK_NOTIFICATION_RETENTION). */
  notificationsSeconds: number;
  /** Kept payloads of verified deliveries (TEMPOHOOK_PAYLOAD_RETENTION, 7 days). */
  payloadsSeconds: number;
  /** The audit log (TEMPOHOOK_AUDIT_RETENTION). */
  auditSeconds: number;
}

export interface PurgeRetainedResult {
  deliveries: number;
  payloads: number;
  notificationDeliveries: number;
  auditEntries: number;
}

function before(now: Date, seconds: number): Date {
  return new Date(now.getTime() - seconds * 1000);
}

/** Deletes what is past its retention; returns how many rows of each kind. */
export async function purgeRetained(input: {
  store: Store;
  logger: Logger;
  retention?: Partial<RetentionDefaults>;
  now?: Date;
  batchSize?: number;
}): Promise<PurgeRetainedResult> {
  const { store } = input;
  const now = input.now ?? new Date();
  const batchSize = input.batchSize ?? PURGE_BATCH_SIZE;
  const defaults = input.retention ?? {};
  const result: PurgeRetainedResult = { deliveries: 0, payloads: 0, notificationDeliveries: 0, auditEntries: 0 };

  // Deliveries go with their webhook (ON DELETE CASCADE): each webhook's rows are all there are.
  for (const webhook of await store.webhooks.list()) {
    const parsed = webhookSpec.safeParse(webhook.spec);
    const seconds =
      (parsed.success ? parsed.data.retention?.deliveries : undefined) ??
      defaults.deliveriesSeconds ??
      DEFAULT_RETENTION_SECONDS;
    result.deliveries += await store.deliveryUpkeep.purgeDeliveries({
      webhookId: webhook.id,
      before: before(now, seconds),
      batchSize,
    });
    // Payloads by their own, shorter retention (0: whatever is kept goes at once).
    result.payloads += await store.deliveryUpkeep.purgePayloads({
      webhookId: webhook.id,
      before: before(now, payloadRetentionSeconds(parsed.success ? parsed.data : {}, defaults.payloadsSeconds)),
      batchSize,
    });
  }

  // Subscriptions with a retention of their own; every other key (settings-file subscriptions,
  // deleted ones) has the default.
  const own = new Map<string, number>();
  for (const subscription of await store.subscriptions.list()) {
    const parsed = subscriptionSpec.safeParse(subscription.spec);
    const seconds = parsed.success ? parsed.data.retention?.deliveries : undefined;
    if (seconds !== undefined) own.set(subscriptionKey(subscription.namespace, subscription.name), seconds);
  }
  for (const [key, seconds] of own)
    result.notificationDeliveries += await store.deliveryUpkeep.purgeNotificationDeliveries({
      subscriptionKey: key,
      before: before(now, seconds),
      batchSize,
    });
  result.notificationDeliveries += await store.deliveryUpkeep.purgeNotificationDeliveries({
    except: [...own.keys()],
    before: before(now, defaults.notificationsSeconds ?? DEFAULT_RETENTION_SECONDS),
    batchSize,
  });
  result.auditEntries = await store.auditLog.purge(
    before(now, defaults.auditSeconds ?? DEFAULT_AUDIT_RETENTION_SECONDS),
    batchSize,
  );
  if (result.deliveries + result.payloads + result.notificationDeliveries + result.auditEntries > 0)
    input.logger.info('purged past retention', { ...result });
  return result;
}
