/**
 * `tempohook/workflow`: the workflow-safe entry for users' workflow code. Import from here in
 * workflows; never from the package root (it pulls in Node-only modules).
 */
export * from './definitions';
export {
  waitForWebhook,
  type WaitForWebhookOptions,
  type WaitForWebhookResult,
  type WebhookWaitDelivered,
  type WebhookWaitTimedOut,
} from './wait-for-webhook';
export {
  onWebhook,
  DEFAULT_CARRIED_EVENT_IDS,
  type OnWebhookOptions,
  type WebhookEventContext,
  type WebhookEventHandler,
  type WebhookSubscription,
} from './on-webhook';
export { emitEvent } from './notifications';
export * from './notification-definitions';
