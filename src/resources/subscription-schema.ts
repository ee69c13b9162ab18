/**
 * The workers' settings file (TEMPOHOOK_SUBSCRIPTIONS_FILE): a list of global subscriptions, each
 * a Subscription spec with a name. The spec itself belongs to the Subscription kind.
 */
import { z } from 'zod';
import { resourceName } from './references';
import { subscriptionSpec } from './kinds/subscription';

export { subscriptionSpec, type SubscriptionSpec } from './kinds/subscription';

/** The settings file: a list of global subscriptions, each a spec with a name. */
export const subscriptionsSettings = z
  .object({
    subscriptions: z.array(z.object({ name: resourceName, ...subscriptionSpec.shape }).strict()).max(1000),
  })
  .strict();
