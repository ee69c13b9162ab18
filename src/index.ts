/**
 * `tempohook`: the ingress embedded in your own HTTP server, the store it keeps its state in,
 * and the resource schemas. Worker code imports `tempohook/worker`; workflow code imports
 * `tempohook/workflow` (never this entry: it is Node-only).
 */
export {
  createTempohookRouter,
  createTempohookHandler,
  type TempohookRouter,
  type TempohookRouterOptions,
} from './ingress/tempohook-router';
export { createStore, migrate, type CreateStoreOptions } from './store';
export type {
  Store,
  SecretRecord,
  WebhookRecord,
  DeliveryRecord,
  SubscriptionRecord,
  NotificationDeliveryRecord,
} from './store/types';
export { DeliveryOutcome, NotificationDeliveryStatus } from './store/types';
export {
  API_VERSION,
  DEFAULT_NAMESPACE,
  webhookResource,
  webhookSpec,
  secretResource,
  subscriptionResource,
  subscriptionSpec,
  type WebhookResource,
  type WebhookSpec,
  type WebhookStartSpec,
  type WebhookSignalSpec,
  type SecretResource,
  type SubscriptionSpec,
} from './resources/schemas';
export { TempohookError, isTempohookError } from './errors';
export { createLogger, type Logger, type LogLevel } from './logger';
export type { WebhookStartInput } from './workflows/definitions';
