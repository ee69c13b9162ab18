/**
 * What only subscriptions have under `/v1/subscriptions/{name}` (the resource itself is served by
 * resource-routes.ts): the delivery log, a signed test event, redelivery, and re-enabling.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request } from 'express';
import type { Client } from '@temporalio/client';
import { deliverEventWorkflowId, startDeliverEvent } from '../outbound/deliver-event';
import type { Logger } from '../logger';
import { OutboundRefusedError, type OutboundGuard } from '../outbound/outbound-guard';
import { classifyStatus, sendNotification } from '../outbound/send-notification';
import { deliveryTarget, fromRecord } from '../outbound/subscriptions';
import { notFoundMessage } from '../resources/kinds';
import {
  presentSubscription,
  refuseSettingsNamespace,
  SETTINGS_NAMESPACE,
  subscriptionKind,
} from '../resources/kinds/subscription';
import { subscriptionKey } from '../store/subscriptions-repository';
import type { NotificationAttemptRecord, NotificationDeliveryRecord, Store } from '../store/types';
import { NotificationEventType, type NotificationEnvelope } from '../workflows/notification-definitions';
import { sendError } from './http/http-errors';
import { jsonBody, jsonBodyErrors } from './http/json-body';
import { managementRoute, nameOf, namespaceOf, pageOf } from './http/route-kit';

export interface SubscriptionRoutesDeps {
  store: Store;
  client: Client;
  logger: Logger;
  guard: OutboundGuard;
  /** Deepest JSON body accepted (TEMPOHOOK_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
}

function presentAttempt(a: NotificationAttemptRecord) {
  return {
    attempt: a.attempt,
    startedAt: a.startedAt.toISOString(),
    durationMs: a.durationMs,
    httpStatus: a.httpStatus,
    responseBody: a.responseBody,
    error: a.error,
  };
}

function presentDelivery(d: NotificationDeliveryRecord, attempts: NotificationAttemptRecord[]) {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastHttpStatus: d.lastHttpStatus,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    workflow: (d.envelope as Partial<NotificationEnvelope>).workflow ?? null,
    attemptLog: attempts.map(presentAttempt),
  };
}
export type SubscriptionDeliveryView = ReturnType<typeof presentDelivery>;

export function createSubscriptionRouter(deps: SubscriptionRoutesDeps): express.Router {
  const { store } = deps;
  const router = express.Router();
  router.use('/v1/subscriptions', jsonBody(deps.maxJsonDepth));
  const route = managementRoute(deps.logger);

  const subscriptions = subscriptionKind.repository(store);
  /** The subscription a request names: the resource (null in namespace settings, or when there is none) and its status key. */
  const load = async (req: Request) => {
    const namespace = namespaceOf(req);
    const name = nameOf(req);
    const record = namespace === SETTINGS_NAMESPACE ? null : await store.subscriptions.get(namespace, name);
    return { namespace, name, record, key: subscriptionKey(namespace, name) };
  };
  const notFound = (res: express.Response, namespace: string, name: string) =>
    sendError(res, 404, 'not_found', notFoundMessage(subscriptionKind, namespace, name));

  router.post(
    '/v1/subscriptions/:name/enable',
    route(async (req, res) => {
      const { namespace, name, key } = await load(req);
      await store.subscriptions.reenable(key);
      const state = await subscriptions.get(namespace, name);
      if (!state) return notFound(res, namespace, name);
      deps.logger.info('subscription re-enabled', { subscription: key });
      res.json(presentSubscription(state));
    }),
  );
  router.get(
    '/v1/subscriptions/:name/deliveries',
    route(async (req, res) => {
      const { namespace, name, record, key } = await load(req);
      // Settings-file deliveries are listed by key: the log is there even if the announcement is not.
      if (!record && namespace !== SETTINGS_NAMESPACE) return notFound(res, namespace, name);
      const page = await store.notificationDeliveries.list(key, pageOf(req));
      const items = await Promise.all(
        page.items.map(async (d) => presentDelivery(d, await store.notificationDeliveries.attempts(d.id))),
      );
      res.json({ items, nextCursor: page.nextCursor });
    }),
  );
  router.post(
    '/v1/subscriptions/:name/test',
    route(async (req, res) => {
      const { namespace, name, record, key } = await load(req);
      refuseSettingsNamespace(
        namespace,
        'to test the receiver, apply a Subscription with the same url in another namespace and test that.',
      );
      if (!record) return notFound(res, namespace, name);
      const envelope: NotificationEnvelope = {
        id: `evt_test_${randomUUID()}`,
        type: NotificationEventType.test,
        timestamp: new Date().toISOString(),
        workflow: null,
        data: { subscription: key },
      };
      const deliveryId = randomUUID();
      await store.notificationDeliveries.ensure({
        id: deliveryId,
        subscriptionKey: key,
        envelope: envelope as unknown as { id: string; type: string } & Record<string, unknown>,
      });
      const startedAt = new Date();
      try {
        const answer = await sendNotification({ store, guard: deps.guard }, fromRecord(record), envelope);
        const delivered = classifyStatus(answer.httpStatus) === 'succeeded';
        const error = delivered ? null : `receiver answered HTTP ${answer.httpStatus}`;
        await store.notificationDeliveries.recordAttempt(
          deliveryId,
          {
            attempt: 1,
            startedAt,
            durationMs: answer.durationMs,
            httpStatus: answer.httpStatus,
            responseBody: answer.responseBody,
            error,
          },
          delivered ? 'succeeded' : 'failed',
        );
        res.json({
          delivered,
          deliveryId,
          eventId: envelope.id,
          httpStatus: answer.httpStatus,
          responseBody: answer.responseBody,
          durationMs: Math.round(answer.durationMs),
        });
      } catch (err) {
        const message = (err as Error).message;
        await store.notificationDeliveries.recordAttempt(
          deliveryId,
          {
            attempt: 1,
            startedAt,
            durationMs: Date.now() - startedAt.getTime(),
            httpStatus: null,
            responseBody: null,
            error: message,
          },
          'failed',
        );
        const code = err instanceof OutboundRefusedError ? 'outbound_address_refused' : 'receiver_unreachable';
        sendError(res, 502, code, `The test event was not delivered: ${message}`, {
          details: { deliveryId, eventId: envelope.id },
        });
      }
    }),
  );
  router.post(
    '/v1/subscriptions/:name/deliveries/:id/redeliver',
    route(async (req, res) => {
      const { namespace, name, record, key } = await load(req);
      refuseSettingsNamespace(
        namespace,
        'redelivery needs the timeout and retry policy in the file, which only workers read.',
      );
      if (!record) return notFound(res, namespace, name);
      const original = await store.notificationDeliveries.get(String(req.params.id));
      if (!original || original.subscriptionKey !== key)
        return sendError(res, 404, 'not_found', `Delivery ${String(req.params.id)} of subscription ${name} not found.`);
      const envelope = original.envelope as unknown as NotificationEnvelope;
      if (!envelope.workflow)
        return sendError(
          res,
          400,
          'not_redeliverable',
          'Test events are not redelivered; send a new one with POST …/test.',
        );
      const deliveryId = randomUUID();
      const workflowId = `${deliverEventWorkflowId(envelope.id)}/redeliver/${deliveryId}`;
      await startDeliverEvent(deps.client, envelope.workflow.taskQueue, workflowId, {
        envelope,
        targets: [deliveryTarget(fromRecord(record), deliveryId)],
      });
      deps.logger.info('redelivery started', { subscription: key, deliveryId, eventId: envelope.id });
      res.status(202).json({ deliveryId, eventId: envelope.id, workflowId, taskQueue: envelope.workflow.taskQueue });
    }),
  );
  router.use('/v1/subscriptions', jsonBodyErrors(deps.maxJsonDepth));
  return router;
}
