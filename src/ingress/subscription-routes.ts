/**
 * `/v1/subscriptions`: Subscription resources (outbound notifications), their delivery log,
 * a signed test event, and redelivery. Secret references go in; secret values never come out.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request } from 'express';
import type { Client } from '@temporalio/client';
import { deliverEventWorkflowId, startDeliverEvent } from '../outbound/deliver-event';
import type { Logger } from '../logger';
import { OutboundRefusedError, type OutboundGuard } from '../outbound/outbound-guard';
import { classifyStatus, sendNotification } from '../outbound/send-notification';
import { deliveryTarget, fromRecord, SETTINGS_NAMESPACE, SETTINGS_PREFIX } from '../outbound/subscriptions';
import { API_VERSION } from '../resources/schemas';
import { subscriptionResource } from '../resources/subscription-schema';
import { subscriptionKey } from '../store/subscriptions-repository';
import type {
  NotificationAttemptRecord,
  NotificationDeliveryRecord,
  Store,
  SubscriptionRecord,
  SubscriptionStatusRecord,
} from '../store/types';
import { NotificationEventType, type NotificationEnvelope } from '../workflows/notification-definitions';
import { sendError } from './http/http-errors';
import { jsonBody, jsonBodyErrors } from './http/json-body';
import { BadRequest, managementRoute, nameOf, namespaceOf, pageOf, parseResource } from './http/route-kit';

export interface SubscriptionRoutesDeps {
  store: Store;
  client: Client;
  logger: Logger;
  guard: OutboundGuard;
  /** Deepest JSON body accepted (TEMPOHOOK_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
}

function presentStatus(enabled: boolean, status: SubscriptionStatusRecord | null) {
  return {
    state: !enabled ? 'paused' : status?.disabledAt ? 'disabled' : 'active',
    disabledAt: status?.disabledAt?.toISOString() ?? null,
    disabledReason: status?.disabledReason ?? null,
    consecutiveFailures: status?.consecutiveFailures ?? 0,
    lastDeliveryAt: status?.lastDeliveryAt?.toISOString() ?? null,
    lastStatus: status?.lastStatus ?? null,
    lastError: status?.lastError ?? null,
    deliveriesSucceeded: status?.deliveriesSucceeded ?? 0,
    deliveriesFailed: status?.deliveriesFailed ?? 0,
  };
}

export function presentSubscription(record: SubscriptionRecord, status: SubscriptionStatusRecord | null) {
  return {
    apiVersion: API_VERSION,
    kind: 'Subscription',
    metadata: {
      name: record.name,
      namespace: record.namespace,
      source: 'api',
      generation: record.generation,
      createdAt: record.createdAt.toISOString(),
      updatedAt: record.updatedAt.toISOString(),
    },
    spec: record.spec,
    status: presentStatus(record.spec.enabled !== false, status),
  };
}

/**
 * A settings-file subscription as the ingress knows it: from the status workers record (it never
 * reads the file, so no spec, and a subscription the file pauses still shows as active).
 */
export function presentSettingsSubscription(status: SubscriptionStatusRecord) {
  return {
    apiVersion: API_VERSION,
    kind: 'Subscription',
    metadata: { name: status.key.slice(SETTINGS_PREFIX.length), namespace: SETTINGS_NAMESPACE, source: 'settings' },
    spec: null,
    status: presentStatus(true, status),
  };
}

/** Settings-file subscriptions are read-only here: the ingress never reads the file. */
function refuseSettings(namespace: string, advice: string): void {
  if (namespace !== SETTINGS_NAMESPACE) return;
  throw new BadRequest(
    'settings_read_only',
    `Namespace ${SETTINGS_NAMESPACE} shows the workers' TEMPOHOOK_SUBSCRIPTIONS_FILE subscriptions, read-only (the ingress never reads that file): ${advice}`,
  );
}

const EDIT_THE_FILE = 'edit the file and restart the workers, or use another namespace.';

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

export function createSubscriptionRouter(deps: SubscriptionRoutesDeps): express.Router {
  const { store } = deps;
  const router = express.Router();
  router.use('/v1/subscriptions', jsonBody(deps.maxJsonDepth));
  const route = managementRoute(deps.logger);

  const load = async (req: Request) => {
    const namespace = namespaceOf(req);
    const name = nameOf(req);
    const record = namespace === SETTINGS_NAMESPACE ? null : await store.subscriptions.get(namespace, name);
    return { namespace, name, record, key: subscriptionKey(namespace, name) };
  };
  /** The resource as the API shows it, either source; null when there is none. */
  const view = async (namespace: string, record: SubscriptionRecord | null, key: string) => {
    const status = await store.subscriptions.status(key);
    if (namespace === SETTINGS_NAMESPACE) return status ? presentSettingsSubscription(status) : null;
    return record ? presentSubscription(record, status) : null;
  };
  const notFound = (res: express.Response, namespace: string, name: string) =>
    sendError(
      res,
      404,
      'not_found',
      namespace === SETTINGS_NAMESPACE
        ? `No worker has announced a settings-file subscription ${name}: workers announce their TEMPOHOOK_SUBSCRIPTIONS_FILE entries when they start.`
        : `Subscription ${name} not found in namespace ${namespace}.`,
    );

  router.put(
    '/v1/subscriptions/:name',
    route(async (req, res) => {
      const { namespace, name } = parseResource(subscriptionResource, req, 'Subscription');
      refuseSettings(namespace, EDIT_THE_FILE);
      const { subscription, created } = await store.subscriptions.apply(
        namespace,
        name,
        (req.body as { spec: Record<string, unknown> }).spec,
      );
      deps.logger.info('subscription applied', { namespace, name, created, generation: subscription.generation });
      res
        .status(created ? 201 : 200)
        .json(presentSubscription(subscription, await store.subscriptions.status(subscriptionKey(namespace, name))));
    }),
  );
  router.get(
    '/v1/subscriptions',
    route(async (req, res) => {
      const namespace = typeof req.query.namespace === 'string' ? namespaceOf(req) : undefined;
      const records = namespace === SETTINGS_NAMESPACE ? [] : await store.subscriptions.list(namespace);
      const items = await Promise.all(
        records.map(async (r) =>
          presentSubscription(r, await store.subscriptions.status(subscriptionKey(r.namespace, r.name))),
        ),
      );
      const settings =
        namespace === undefined || namespace === SETTINGS_NAMESPACE
          ? await store.subscriptions.statuses(SETTINGS_PREFIX)
          : [];
      res.json({ items: [...items, ...settings.map(presentSettingsSubscription)] });
    }),
  );
  router.get(
    '/v1/subscriptions/:name',
    route(async (req, res) => {
      const { namespace, name, record, key } = await load(req);
      const shown = await view(namespace, record, key);
      if (!shown) return notFound(res, namespace, name);
      res.json(shown);
    }),
  );
  router.post(
    '/v1/subscriptions/:name/enable',
    route(async (req, res) => {
      const { namespace, name, record, key } = await load(req);
      await store.subscriptions.reenable(key);
      const shown = await view(namespace, record, key);
      if (!shown) return notFound(res, namespace, name);
      deps.logger.info('subscription re-enabled', { subscription: key });
      res.json(shown);
    }),
  );
  router.delete(
    '/v1/subscriptions/:name',
    route(async (req, res) => {
      const namespace = namespaceOf(req);
      const name = nameOf(req);
      refuseSettings(namespace, EDIT_THE_FILE);
      if (!(await store.subscriptions.delete(namespace, name))) return notFound(res, namespace, name);
      res.json({ deleted: true });
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
      refuseSettings(
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
      refuseSettings(namespace, 'redelivery needs the timeout and retry policy in the file, which only workers read.');
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
