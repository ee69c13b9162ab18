/**
 * The declarative resources of tempohook (`apiVersion: tempohook.dev/v1`), validated with zod
 * wherever they enter: the management API, `tempohook apply`, the example files. Each kind is
 * one unit in `kinds/`; this module gathers what the rest of tempohook imports from them.
 */
import type { z } from 'zod';
import type { SecretKeyRef } from './references';
import type { WebhookSpec } from './kinds/webhook';

export { API_VERSION, DEFAULT_NAMESPACE } from './envelope';
export { resourceName, type SecretKeyRef } from './references';
export {
  DEFAULT_PAYLOAD_RETENTION_SECONDS,
  MAX_BODY_BYTES_LIMIT,
  webhookResource,
  webhookSignalSpec,
  webhookSpec,
  webhookRoutesSpec,
  webhookStartSpec,
  type WebhookResource,
  type WebhookRouteMode,
  type WebhookRouteSpec,
  type WebhookSignalSpec,
  type WebhookSpec,
  type WebhookStartSpec,
} from './kinds/webhook';
export { secretResource, type SecretResource } from './kinds/secret';
export { subscriptionResource, subscriptionSpec, type SubscriptionSpec } from './kinds/subscription';

/** The secret references of a webhook spec as a list. */
export function secretRefs(spec: Pick<WebhookSpec, 'secretRef'>): SecretKeyRef[] {
  if (spec.secretRef === undefined) return [];
  return Array.isArray(spec.secretRef) ? spec.secretRef : [spec.secretRef];
}

/** Flattens a zod error into `path: message` lines and a list for API clients. */
export function describeZodError(error: z.ZodError): {
  message: string;
  issues: Array<{ path: string; message: string }>;
} {
  const issues = error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  return { message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues };
}
