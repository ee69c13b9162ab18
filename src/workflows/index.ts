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
export { emitEvent } from './notifications';
export * from './notification-definitions';
