/**
 * The pure decisions of the delivery pipeline (src/ingress/delivery), without HTTP: which event a
 * delivery is, which actions a webhook takes, when a repeat is answered at once, what a start
 * asks Temporal for, and that every stage's time is recorded. The stages' I/O is covered over
 * real HTTP, Postgres and Temporal in the other ingress tests.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { describe, test } from 'node:test';
import { webhookSpec } from '../../src/resources/schemas';
import type { DeliveryRecord, ReserveResult } from '../../src/store/types';
import { getProfile } from '../../src/verify';
import type { InboundRequest, Profile } from '../../src/verify/types';
import { answeredRepeat, planActions, type PreparedAction } from '../../src/ingress/delivery/act';
import { createDeliveryContext, timed } from '../../src/ingress/delivery/context';
import { routeActions, routeMatches, selectRoutes } from '../../src/ingress/delivery/routes';
import { claimedEventId, identifyEvent } from '../../src/ingress/delivery/event-identity';
import { buildStartRequest, MAX_START_INPUT_BYTES, renderWorkflowId } from '../../src/ingress/delivery/start-request';
import type { TemplateContext } from '../../src/resources/template';

const generic = getProfile('generic')!;
const spec = (extra: Record<string, unknown> = {}) =>
  webhookSpec.parse({
    profile: 'generic',
    secretRef: { name: 's', key: 'value' },
    start: { workflowType: 'weeklyReport', taskQueue: 'q' },
    ...extra,
  });
const inbound = (headers: Record<string, string>): InboundRequest => ({
  rawBody: Buffer.from('{}'),
  headers,
  url: 'http://localhost/v1/webhook-deliveries/x',
  receivedAt: new Date('2026-01-01T00:00:00Z'),
});

describe('identifyEvent', () => {
  test("takes the profile's event id and source event", () => {
    const identity = identifyEvent(
      { spec: spec(), profile: generic },
      inbound({ 'x-event-id': 'e1', 'x-event-type': 'push' }),
      {},
    );
    assert.deepEqual(identity, { ok: true, eventId: 'e1', sourceEvent: 'push' });
  });

  test('spec.eventIdHeader overrides the profile, case-insensitively', () => {
    const webhook = { spec: spec({ eventIdHeader: 'X-Request-Key' }), profile: generic };
    const identity = identifyEvent(webhook, inbound({ 'x-event-id': 'e1', 'x-request-key': 'k9' }), {});
    assert.equal(identity.ok && identity.eventId, 'k9');
  });

  test('a missing event id says where it was looked for, and keeps the source event for the history', () => {
    const identity = identifyEvent({ spec: spec(), profile: generic }, inbound({ 'x-event-type': 'push' }), {});
    assert.deepEqual(identity, {
      ok: false,
      code: 'event_id_missing',
      message: "The delivery has no event id (the generic profile's event id); it is needed to deduplicate.",
      reason: "event id missing (the generic profile's event id)",
      sourceEvent: 'push',
    });
  });

  test('an event id with a control character or over 255 characters is invalid', () => {
    const webhook = { spec: spec(), profile: generic };
    const nul = identifyEvent(webhook, inbound({ 'x-event-id': 'a\u0000b' }), {});
    assert.equal(!nul.ok && nul.code, 'event_id_invalid');
    assert.equal(!nul.ok && nul.reason, 'event id contains control characters');
    const long = identifyEvent(webhook, inbound({ 'x-event-id': 'x'.repeat(256) }), {});
    assert.equal(!long.ok && long.reason, 'event id longer than 255 characters');
    assert.equal(identifyEvent(webhook, inbound({ 'x-event-id': 'x'.repeat(255) }), {}).ok, true);
  });

  test('a source event loses its control characters and is cut at 255 characters', () => {
    const webhook = { spec: spec(), profile: generic };
    const identity = identifyEvent(
      webhook,
      inbound({ 'x-event-id': 'e', 'x-event-type': `a\u0007b${'c'.repeat(300)}` }),
      {},
    );
    assert.equal(identity.ok && identity.sourceEvent, `ab${'c'.repeat(253)}`);
  });
});

describe('claimedEventId', () => {
  test('is the unverified id cut at 255 characters, or null', () => {
    const webhook = { spec: spec(), profile: generic };
    assert.equal(claimedEventId(webhook, inbound({ 'x-event-id': 'y'.repeat(300) }), undefined), 'y'.repeat(255));
    assert.equal(claimedEventId(webhook, inbound({}), undefined), null);
  });

  test('a profile that throws claims nothing rather than failing the request', () => {
    const throwing: Profile = {
      ...generic,
      eventId: () => {
        throw new Error('bug');
      },
    };
    assert.equal(claimedEventId({ spec: spec(), profile: throwing }, inbound({}), undefined), null);
  });
});

describe('planActions', () => {
  test('start first, then signal; a disabled signal is no action', () => {
    const both = spec({ signal: { enabled: true } });
    assert.deepEqual(
      planActions(both).map((action) => action.kind),
      ['start', 'signal'],
    );
    assert.deepEqual(
      planActions(spec({ signal: { enabled: false } })).map((action) => action.kind),
      ['start'],
    );
    assert.deepEqual(
      planActions({ signal: { enabled: true } }).map((action) => action.kind),
      ['signal'],
    );
  });
});

describe('routes: planActions and selectRoutes', () => {
  const q = { workflowType: 'w', taskQueue: 'q' };
  const routed = (mode?: 'first' | 'all') =>
    webhookSpec.parse({
      profile: 'github',
      secretRef: { name: 's', key: 'value' },
      ...(mode ? { mode } : {}),
      routes: [
        { name: 'deploy', when: 'source == "push" && payload.ref == "refs/heads/main"', start: q },
        { name: 'review', match: { 'headers.x-github-event': 'pull_request', '$.action': 'opened' }, start: q },
        { name: 'activity', signalWithStart: { ...q, workflowId: 'repo/{payload.repository.full_name}' } },
      ],
      signal: { enabled: true },
    });
  const subject = (source: string, payload: Record<string, unknown>) => ({
    payload,
    headers: { 'x-github-event': source },
    source,
    eventId: 'e1',
    normalized: {},
  });
  const routesOf = (mode?: 'first' | 'all') =>
    planActions(routed(mode)).filter((a): a is Exclude<typeof a, { kind: 'signal' }> => a.kind !== 'signal');
  const names = (mode: 'first' | 'all' | undefined, s: ReturnType<typeof subject>) =>
    selectRoutes(routesOf(mode), mode, s).map((r) => r.route);

  test('planActions lists the routes in order, then the signal; spec.start is the one catch-all route', () => {
    assert.deepEqual(
      planActions(routed()).map((a) => (a.kind === 'signal' ? 'signal' : `${a.kind}:${a.route}`)),
      ['start:deploy', 'start:review', 'signalWithStart:activity', 'signal'],
    );
    const [catchAll] = planActions(spec());
    assert.equal(catchAll?.kind === 'start' && `${catchAll.route}:${catchAll.routed}`, 'start:false');
  });

  test('mode first takes the first matching route; mode all every matching one', () => {
    const push = subject('push', { ref: 'refs/heads/main', repository: { full_name: 'o/r' } });
    assert.deepEqual(names(undefined, push), ['deploy']);
    assert.deepEqual(names('all', push), ['deploy', 'activity']);
    const pr = subject('pull_request', { action: 'opened' });
    assert.deepEqual(names('all', pr), ['review', 'activity']);
    assert.deepEqual(names('first', subject('pull_request', { action: 'closed' })), ['activity']);
    assert.deepEqual(names('all', subject('push', { ref: 'refs/heads/dev' })), ['activity']);
  });

  test('the Stripe example routes events about a customer, and no other', async () => {
    const doc = YAML.parse(await readFile(path.join(__dirname, '../../examples/stripe-entities.yaml'), 'utf8'));
    const [route] = routeActions(webhookSpec.parse(doc.spec).routes!);
    const event = (object: Record<string, unknown>) => ({
      ...subject('customer.updated', {}),
      payload: { data: { object } },
    });
    assert.equal(routeMatches(route!.condition, event({ id: 'in_1', customer: 'cus_1' })), true);
    assert.equal(routeMatches(route!.condition, event({ id: 'in_1', customer: null })), false);
    assert.equal(routeMatches(route!.condition, event({ id: 'prod_1' })), false);
  });

  test('a when that fails to evaluate, or a match path that selects nothing, does not match', () => {
    assert.equal(routeMatches({ when: 'payload.missing.deeper == 1' }, subject('push', {})), false);
    assert.equal(routeMatches({ match: { '$.action': 'opened' } }, subject('push', {})), false);
    assert.equal(routeMatches(undefined, subject('push', {})), true);
    assert.equal(
      routeMatches({ when: 'eventId == "e1"', match: { '$.n': 2 } }, subject('push', { n: 2 })),
      true,
      'both hold',
    );
  });
});

describe('answeredRepeat (dedup layer 1)', () => {
  const row = (outcome: DeliveryRecord['outcome'], run: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
    id: `d-${outcome}`,
    webhookId: 'w',
    eventId: 'e',
    sourceEvent: null,
    receivedAt: new Date(),
    httpStatus: null,
    outcome,
    reason: null,
    workflowId: null,
    runId: null,
    duplicateOf: null,
    actions: null,
    replayOf: null,
    ...(run as object),
  });
  const repeatOf = (original: DeliveryRecord): ReserveResult => ({
    reserved: false,
    delivery: row('pending', { id: 'd-repeat' }),
    original,
  });
  const start: PreparedAction = {
    kind: 'start',
    route: 'start',
    routed: false,
    start: spec().start!,
    workflowId: 'rendered-id',
  };
  const signal: PreparedAction = { kind: 'signal', signal: spec({ signal: { enabled: true } }).signal! };

  test('the key holder itself is never a repeat', () => {
    assert.equal(answeredRepeat({ reserved: true, delivery: row('pending') }, [start]), undefined);
  });

  test('a repeat of a started run names that run and records a duplicate', () => {
    const original = row('started', { workflowId: 'wf', runId: 'run-1' });
    assert.deepEqual(answeredRepeat(repeatOf(original), [start, signal]), {
      kind: 'accepted',
      answer: {
        accepted: true,
        duplicate: true,
        deliveryId: 'd-repeat',
        originalDeliveryId: 'd-started',
        workflowId: 'wf',
        runId: 'run-1',
        signaled: [],
      },
      completion: {
        outcome: 'duplicate',
        httpStatus: 202,
        workflowId: 'wf',
        runId: 'run-1',
        reason: 'duplicate of delivery d-started',
      },
    });
  });

  test('a start repeat goes on while its original is pending, failed or only signaled', () => {
    for (const outcome of ['pending', 'failed', 'signaled'] as const)
      assert.equal(answeredRepeat(repeatOf(row(outcome)), [start]), undefined, outcome);
  });

  test('a signal-only repeat is answered once its original finished, and goes on while it is pending or failed', () => {
    const answered = answeredRepeat(repeatOf(row('signaled')), [signal]);
    assert.equal(answered?.kind === 'accepted' && answered.answer.duplicate, true);
    assert.deepEqual(answered?.kind === 'accepted' && answered.answer.signaled, []);
    assert.equal(answered?.kind === 'accepted' && 'workflowId' in answered.answer, false);
    assert.equal(answeredRepeat(repeatOf(row('pending')), [signal]), undefined);
    assert.equal(answeredRepeat(repeatOf(row('failed')), [signal]), undefined);
  });
});

describe('buildStartRequest', () => {
  const context: TemplateContext = {
    namespace: 'default',
    webhook: 'reports',
    eventId: 'evt-1',
    deliveryId: 'd-1',
    source: 'push',
    profile: 'generic',
    receivedAt: '2026-01-01T00:00:00.000Z',
    payload: { order: { id: 7 } },
    headers: {},
  };

  test('the default workflow id is namespace/webhook/eventId; an empty placeholder is reported', () => {
    assert.deepEqual(renderWorkflowId(spec().start!, context), { value: 'default/reports/evt-1', unresolved: [] });
    const byCustomer = spec({ start: { workflowType: 't', taskQueue: 'q', workflowId: 'c-{payload.customer}' } });
    assert.deepEqual(renderWorkflowId(byCustomer.start!, context).unresolved, ['payload.customer']);
  });

  test('input, memo and search attributes carry the delivery', () => {
    const built = buildStartRequest(
      spec({ start: { workflowType: 't', taskQueue: 'q', input: { order: '{payload.order.id}' } } }).start!,
      'wf-1',
      context,
    );
    assert.ok(built.ok);
    const input = built.request.input as Record<string, unknown>;
    assert.equal(input.order, 7);
    assert.equal(input.webhook_event_id, 'evt-1');
    assert.equal(input.webhook_delivery_id, 'd-1');
    assert.deepEqual((built.request.memo as any).tempohook, {
      webhook: 'default/reports',
      profile: 'generic',
      eventId: 'evt-1',
      deliveryId: 'd-1',
      source: 'push',
      receivedAt: context.receivedAt,
    });
    assert.deepEqual(
      built.request.searchAttributes.map((pair) => pair.value),
      ['default/reports', 'evt-1', 'generic:push'],
    );
  });

  test('an input over the limit is refused with its size, before Temporal is asked', () => {
    const built = buildStartRequest(spec().start!, 'wf-1', { ...context, payload: 'x'.repeat(MAX_START_INPUT_BYTES) });
    assert.equal(built.ok, false);
    assert.match(!built.ok ? built.detail : '', /would be \d+ bytes as JSON; Temporal refuses payloads over 2 MB/);
  });
});

describe('timed', () => {
  test('records each stage in order, also one that throws', async () => {
    const ctx = createDeliveryContext('endpoint', new Date());
    assert.equal(await timed(ctx, 'resolve', () => 1), 1);
    await assert.rejects(
      timed(ctx, 'read', () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.deepEqual(
      ctx.timings.map((timing) => timing.stage),
      ['resolve', 'read'],
    );
    assert.ok(ctx.timings.every((timing) => timing.ms >= 0));
  });
});
