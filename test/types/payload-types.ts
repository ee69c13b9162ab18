/**
 * Type-level test (checked by `tsc` in `npm run lint`, not run): provider payload types plug into
 * tempohook's generics without tempohook depending on them at run time. Stripe's types come from
 * the `stripe` devDependency.
 */
import type Stripe from 'stripe';
import type {
  onWebhook,
  waitForWebhook,
  WaitForWebhookResult,
  WebhookDelivery,
  WebhookEventHandler,
  WebhookStartInput,
} from '../../src/workflows';

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

export type PayloadTypeChecks = [
  Expect<Equal<WebhookStartInput<Stripe.Event>['webhook_payload'], Stripe.Event>>,
  Expect<Equal<WebhookStartInput['webhook_payload'], unknown>>,
  Expect<Equal<ReturnType<typeof waitForWebhook<Stripe.Event>>, Promise<WaitForWebhookResult<Stripe.Event>>>>,
  Expect<Equal<Parameters<Parameters<typeof onWebhook<Stripe.Event>>[0]>[0], WebhookDelivery<Stripe.Event>>>,
  Expect<Equal<WebhookDelivery['payload'], unknown>>,
];

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
