/**
 * Type-level test (checked by `tsc` in `npm run lint`, not run): provider payload types plug into
 * tempohook's generics without tempohook depending on them at run time. Stripe's types come from
 * the `stripe` devDependency, GitHub's from `@octokit/webhooks-types` (a devDependency too).
 */
import type { PullRequestEvent, PushEvent, WebhookEventMap } from '@octokit/webhooks-types';
import type Stripe from 'stripe';
import type { GithubPullRequestPayload, GithubPushPayload } from '../../src/examples/workflows';
import type {
  onWebhook,
  waitForWebhook,
  WaitForWebhookResult,
  WebhookDelivery,
  WebhookEventHandler,
  WebhookStartInput,
} from '../../src/workflows';

type Extends<A, B> = [A] extends [B] ? true : false;
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

export type PayloadTypeChecks = [
  Expect<Equal<WebhookStartInput<Stripe.Event>['webhook_payload'], Stripe.Event>>,
  Expect<Equal<WebhookStartInput['webhook_payload'], unknown>>,
  Expect<Equal<ReturnType<typeof waitForWebhook<Stripe.Event>>, Promise<WaitForWebhookResult<Stripe.Event>>>>,
  Expect<Equal<Parameters<Parameters<typeof onWebhook<Stripe.Event>>[0]>[0], WebhookDelivery<Stripe.Event>>>,
  Expect<Equal<WebhookDelivery['payload'], unknown>>,
  Expect<Equal<WebhookStartInput<PushEvent>['webhook_payload']['ref'], string>>,
  Expect<Equal<Parameters<Parameters<typeof onWebhook<WebhookEventMap['push']>>[0]>[0]['payload'], PushEvent>>,
  // The examples' payload shapes are what GitHub sends: its real payload types fit them.
  Expect<Extends<PushEvent, GithubPushPayload>>,
  Expect<Extends<PullRequestEvent, GithubPullRequestPayload>>,
];

/** A GitHub entity handler reads typed fields of the push; a wrong use does not compile. */
export const repositoryHandler: WebhookEventHandler<PushEvent> = (delivery) => {
  const repository: string = delivery.payload.repository.full_name;
  // @ts-expect-error: `commits` is a list, not a string
  const wrong: string = delivery.payload.commits;
  void wrong;
  void repository;
};

/** A Stripe entity handler reads typed fields; a wrong use does not compile. */
export const stripeCustomerHandler: WebhookEventHandler<Stripe.Event> = (delivery) => {
  const type: Stripe.Event['type'] = delivery.payload.type;
  // @ts-expect-error: the payload is a Stripe.Event, whose `type` is not a number
  const wrong: number = delivery.payload.type;
  void wrong;
  void type;
};

/** A delivered wait result narrows on `timedOut` and keeps the payload type. */
export function customerOf(result: WaitForWebhookResult<Stripe.Event>): string | undefined {
  if (result.timedOut) return undefined;
  const object = result.payload.data.object;
  return 'customer' in object && typeof object.customer === 'string' ? object.customer : undefined;
}
