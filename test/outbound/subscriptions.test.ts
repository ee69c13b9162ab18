/**
 * Subscriptions end to end: scopes (settings-file global, workflow type, one run by memo) with
 * the narrower overriding the wider for the same URL; the signed test event; redelivery; the
 * SSRF guard; validation errors that say what to fix.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { RUN_SUBSCRIPTIONS_MEMO_KEY } from '../../src/workflows/notification-definitions';
import { subscriptionCommand } from '../../src/cli/subscription-command';
import { runCli } from '../cli/cli-harness';
import { secretBody, TEST_ADMIN_TOKEN } from '../support/ingress';
import { eventually, startNotificationFixture, WHSEC, type NotificationFixture } from '../support/notifications';
import { startReceiver, type ReceivedRequest, type TestReceiver } from '../support/receiver';

describe('subscriptions', () => {
  let fx: NotificationFixture;
  let shared: TestReceiver;
  let other: TestReceiver;
  let rejecting: TestReceiver;
  let settingsDir: string;

  before(async () => {
    shared = await startReceiver();
    other = await startReceiver();
    rejecting = await startReceiver();
    rejecting.respond = () => ({ status: 410, body: 'gone' });
    settingsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempohook-subs-'));
    const file = path.join(settingsDir, 'subscriptions.yaml');
    process.env.TEMPOHOOK_TEST_SHARED_URL = shared.url;
    process.env.TEMPOHOOK_TEST_REJECTING_URL = rejecting.url;
    fs.writeFileSync(
      file,
      [
        'subscriptions:',
        '  - name: everything',
        '    url: "${TEMPOHOOK_TEST_SHARED_URL}"',
        '    events: ["*"]',
        '    headers: { X-From: settings }',
        '  - name: rejected',
        '    url: "${TEMPOHOOK_TEST_REJECTING_URL}"',
        '    events: [workflow.completed]',
        '    disableAfterFailures: 1',
        '',
      ].join('\n'),
    );
    fx = await startNotificationFixture({ subscriptionsFile: file });
  });
  after(async () => {
    await shared.close();
    await other.close();
    await rejecting.close();
    await fx.close();
    fs.rmSync(settingsDir, { recursive: true, force: true });
  });

  const forRun = (runId: string) => (r: ReceivedRequest) => r.body?.workflow?.runId === runId;
  const settle = () => new Promise((r) => setTimeout(r, 1500));

  test('a workflow-type subscription overrides the settings-file global one for the same URL; other types keep the global one', async () => {
    await fx.subscribe('emits-only-completion', {
      url: shared.url,
      events: ['workflow.completed'],
      scope: { workflowType: 'emitsCustomEvent' },
      headers: { 'X-From': 'type' },
    });
    const overridden = await fx.temporal.client.workflow.start('emitsCustomEvent', {
      taskQueue: fx.taskQueue,
      workflowId: `override-${Date.now()}`,
      args: [{ orderId: 'o-2' }],
    });
    const global = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `global-${Date.now()}`,
      args: [{ name: 'g' }],
    });
    await Promise.all([overridden.result(), global.result()]);
    await shared.waitFor(
      (rs) =>
        rs.filter(forRun(global.firstExecutionRunId)).length === 5 && rs.some(forRun(overridden.firstExecutionRunId)),
    );
    await settle();
    const narrowed = shared.requests.filter(forRun(overridden.firstExecutionRunId));
    assert.deepEqual(
      narrowed.map((r) => [r.body.type, r.headers['x-from']]),
      [['workflow.completed', 'type']],
    );
    assert.ok(
      shared.requests.filter(forRun(global.firstExecutionRunId)).every((r) => r.headers['x-from'] === 'settings'),
    );
    await fx.ingress.api('DELETE', '/v1/subscriptions/emits-only-completion');
  });

  test('a run-scoped subscription applies only to runs that name it in their start memo, and overrides wider ones', async () => {
    await fx.subscribe('this-run', {
      url: shared.url,
      events: ['step.*'],
      scope: 'run',
      filters: [{ path: '$.data.activityType', equals: 'recordStep' }],
    });
    await fx.subscribe('elsewhere', { url: other.url, events: ['workflow.started'], scope: 'run' });
    const named = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `run-scope-${Date.now()}`,
      args: [{ name: 'memo' }],
      memo: { [RUN_SUBSCRIPTIONS_MEMO_KEY]: ['this-run'] },
    });
    const plain = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `no-memo-${Date.now()}`,
      args: [{ name: 'plain' }],
    });
    await Promise.all([named.result(), plain.result()]);
    await shared.waitFor(
      (rs) =>
        rs.filter(forRun(named.firstExecutionRunId)).length === 3 &&
        rs.filter(forRun(plain.firstExecutionRunId)).length === 5,
    );
    await settle();
    assert.deepEqual(
      shared.requests.filter(forRun(named.firstExecutionRunId)).map((r) => r.body.type),
      ['step.completed', 'step.completed', 'step.completed'],
    );
    assert.equal(other.requests.length, 0, 'a run-scoped subscription no run named');
  });

  test("POST …/test sends a signed tempohook.test event and returns the receiver's answer", async () => {
    await fx.ingress.api('PUT', '/v1/secrets/test-signing', secretBody({ key: WHSEC }));
    other.respond = () => ({ status: 202, body: 'thanks' });
    await fx.subscribe('tested', { url: other.url, secretRef: { name: 'test-signing', key: 'key' }, scope: 'run' });
    const res = await fx.ingress.api('POST', '/v1/subscriptions/tested/test');
    assert.equal(res.status, 200);
    assert.equal(res.body.delivered, true);
    assert.equal(res.body.httpStatus, 202);
    assert.equal(res.body.responseBody, 'thanks');
    const got = other.requests.at(-1)!;
    assert.equal(got.body.type, 'tempohook.test');
    new Webhook(WHSEC).verify(got.rawBody, got.headers as Record<string, string>);
    const log = await fx.ingress.api('GET', '/v1/subscriptions/tested/deliveries');
    assert.equal(log.body.items[0].eventType, 'tempohook.test');
    assert.equal(log.body.items[0].status, 'succeeded');
  });

  test('redeliver sends a logged event again, with the same event id', async () => {
    await fx.subscribe('redeliverable', { url: other.url, events: ['workflow.completed'] });
    const again = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `redeliver-${Date.now()}`,
      args: [{ name: 'again' }],
    });
    await again.result();
    await other.waitFor((rs) => rs.some(forRun(again.firstExecutionRunId)));
    const [delivery] = (await fx.ingress.api('GET', '/v1/subscriptions/redeliverable/deliveries')).body.items;
    const before = other.requests.length;
    const res = await fx.ingress.api('POST', `/v1/subscriptions/redeliverable/deliveries/${delivery.id}/redeliver`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await other.waitFor((rs) => rs.length > before);
    assert.equal(other.requests.at(-1)!.body.id, delivery.eventId);
    const items = (await fx.ingress.api('GET', '/v1/subscriptions/redeliverable/deliveries')).body.items;
    assert.ok(items.some((d: any) => d.id === res.body.deliveryId && d.eventId === delivery.eventId));
    await fx.ingress.api('DELETE', '/v1/subscriptions/redeliverable');
  });

  test('tempohook subscription test, redeliver and enable: the same routes from the command line', async () => {
    const env = { TEMPOHOOK_URL: fx.ingress.url, TEMPOHOOK_ADMIN_TOKEN: TEST_ADMIN_TOKEN };
    await fx.subscribe('cli-managed', { url: other.url, events: ['workflow.completed'], disableAfterFailures: 1 });

    other.respond = () => ({ status: 204, body: '' });
    const tested = await runCli(subscriptionCommand, ['test', 'cli-managed'], env);
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(
      tested.stdout,
      /^delivered: the receiver answered HTTP 204 in \d+ ms \(event evt_test_\S+, delivery \S+\)\n$/,
    );
    assert.equal(other.requests.at(-1)!.body.type, 'tempohook.test');
    other.respond = () => ({ status: 500, body: 'down for maintenance' });
    const refused = await runCli(subscriptionCommand, ['test', 'cli-managed', '-o', 'json'], env);
    assert.equal(refused.code, 1, 'a receiver that did not answer 2xx fails the command');
    assert.equal(JSON.parse(refused.stdout).httpStatus, 500);

    other.respond = () => ({ status: 200, body: 'ok' });
    const run = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `cli-redeliver-${Date.now()}`,
      args: [{ name: 'cli' }],
    });
    await run.result();
    await other.waitFor((rs) => rs.some(forRun(run.firstExecutionRunId)));
    const delivery = (await fx.ingress.api('GET', '/v1/subscriptions/cli-managed/deliveries')).body.items.find(
      (d: any) => d.eventType === 'workflow.completed',
    );
    const before = other.requests.length;
    const redone = await runCli(subscriptionCommand, ['redeliver', 'cli-managed', delivery.id], env);
    assert.equal(redone.code, 0, redone.stderr);
    assert.match(
      redone.stdout,
      new RegExp(`^redelivery started: delivery \\S+ of event ${delivery.eventId} \\(workflow `),
    );
    await other.waitFor((rs) => rs.length > before && rs.at(-1)!.body.id === delivery.eventId);
    const unknown = await runCli(subscriptionCommand, ['redeliver', 'cli-managed', 'no-such-delivery'], env);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /^error \[not_found\]: Delivery no-such-delivery of subscription cli-managed not found/,
    );

    await fx.store.subscriptions.recordFinalFailure('default/cli-managed', 'receiver answered HTTP 410', 1, new Date());
    assert.equal((await fx.ingress.api('GET', '/v1/subscriptions/cli-managed')).body.status.state, 'disabled');
    const enabled = await runCli(subscriptionCommand, ['enable', 'cli-managed'], env);
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.equal(enabled.stdout, 'subscription/default/cli-managed enabled\n');
    assert.equal((await fx.ingress.api('GET', '/v1/subscriptions/cli-managed')).body.status.state, 'active');
    await fx.ingress.api('DELETE', '/v1/subscriptions/cli-managed');
  });

  test('URLs resolving to loopback or private addresses are refused unless TEMPOHOOK_OUTBOUND_ALLOW allows them', async () => {
    await fx.subscribe('private', {
      url: `http://127.0.0.2:${other.port}/hooks`,
      events: ['workflow.completed'],
      scope: { workflowType: 'emitsCustomEvent' },
    });
    const res = await fx.ingress.api('POST', '/v1/subscriptions/private/test');
    assert.equal(res.status, 502);
    assert.equal(res.body.error.code, 'outbound_address_refused');
    assert.match(res.body.error.message, /127\.0\.0\.2 \(loopback\).*TEMPOHOOK_OUTBOUND_ALLOW/);

    const handle = await fx.temporal.client.workflow.start('emitsCustomEvent', {
      taskQueue: fx.taskQueue,
      workflowId: `ssrf-${Date.now()}`,
      args: [{ orderId: 'o-3' }],
    });
    await handle.result();
    const deadline = Date.now() + 15_000;
    let items: any[] = [];
    while (Date.now() < deadline) {
      items = (await fx.ingress.api('GET', '/v1/subscriptions/private/deliveries')).body.items.filter(
        (d: any) => d.eventType === 'workflow.completed',
      );
      if (items[0]?.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(items[0]?.status, 'failed');
    assert.equal(items[0].attempts, 1, 'a refused address is final');
    assert.match(items[0].attemptLog[0].error, /loopback/);
    await fx.ingress.api('DELETE', '/v1/subscriptions/private');
  });

  test('settings-file subscriptions show read-only in namespace settings: status, disabling, deliveries, re-enabling', async () => {
    const settingsView = async (name: string) =>
      (await fx.ingress.api('GET', `/v1/subscriptions/${name}?namespace=settings`)).body;
    // Workers announce the file's entries when they start, before any delivery.
    const listed = await eventually(async () => {
      const { items } = (await fx.ingress.api('GET', '/v1/subscriptions?namespace=settings')).body;
      return items.length === 2 ? items : undefined;
    }, 'both settings-file subscriptions announced');
    assert.deepEqual(
      listed.map((s: any) => [s.metadata.namespace, s.metadata.name, s.metadata.source, s.spec]),
      [
        ['settings', 'everything', 'settings', null],
        ['settings', 'rejected', 'settings', null],
      ],
    );

    const handle = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `settings-${Date.now()}`,
      args: [{ name: 's' }],
    });
    await handle.result();
    const disabled = await eventually(async () => {
      const view = await settingsView('rejected');
      return view.status.state === 'disabled' ? view : undefined;
    }, 'the settings-file subscription disabled');
    assert.match(disabled.status.disabledReason, /disabled after 1 consecutive failed deliver/);
    assert.ok(disabled.status.deliveriesFailed >= 1);
    const all = (await fx.ingress.api('GET', '/v1/subscriptions')).body.items;
    assert.ok(
      all.some(
        (s: any) =>
          s.metadata.namespace === 'settings' && s.metadata.name === 'rejected' && s.status.state === 'disabled',
      ),
      'the unfiltered list shows it too',
    );

    const log = (await fx.ingress.api('GET', '/v1/subscriptions/rejected/deliveries?namespace=settings')).body.items;
    assert.ok(log.every((d: any) => d.eventType === 'workflow.completed' && d.status === 'failed'));
    // Those in flight when it was disabled stop without an attempt; the others got the 410.
    const tried = log.filter((d: any) => d.attempts > 0);
    assert.ok(tried.length >= 1);
    assert.ok(
      tried.every((d: any) => d.attemptLog[0].httpStatus === 410 && d.attemptLog[0].responseBody === 'gone'),
      JSON.stringify(log),
    );

    for (const [method, path] of [
      ['PUT', '/v1/subscriptions/rejected?namespace=settings'],
      ['DELETE', '/v1/subscriptions/rejected?namespace=settings'],
      ['POST', '/v1/subscriptions/rejected/test?namespace=settings'],
      ['POST', `/v1/subscriptions/rejected/deliveries/${log[0].id}/redeliver?namespace=settings`],
    ] as const) {
      const res = await fx.ingress.api(
        method,
        path,
        method === 'PUT'
          ? { apiVersion: 'tempohook.dev/v1', kind: 'Subscription', spec: { url: rejecting.url } }
          : undefined,
      );
      assert.equal(res.status, 400, `${method} ${path}`);
      assert.equal(res.body.error.code, 'settings_read_only');
      assert.match(res.body.error.message, /TEMPOHOOK_SUBSCRIPTIONS_FILE/);
    }
    const unknown = await fx.ingress.api('GET', '/v1/subscriptions/not-in-file?namespace=settings');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error.message, /announce/);

    rejecting.respond = () => ({ status: 200 });
    const enabled = (await fx.ingress.api('POST', '/v1/subscriptions/rejected/enable?namespace=settings')).body;
    assert.equal(enabled.status.state, 'active');
    assert.equal(enabled.status.consecutiveFailures, 0);
    const after = await fx.temporal.client.workflow.start('threeSteps', {
      taskQueue: fx.taskQueue,
      workflowId: `settings-again-${Date.now()}`,
      args: [{ name: 's2' }],
    });
    await after.result();
    await rejecting.waitFor((rs) => rs.some(forRun(after.firstExecutionRunId)));
  });

  test('invalid subscriptions are refused with what to fix', async () => {
    const res = await fx.ingress.api('PUT', '/v1/subscriptions/bad', {
      apiVersion: 'tempohook.dev/v1',
      kind: 'Subscription',
      spec: {
        url: 'ftp://example.com',
        events: ['step.'],
        headers: { 'webhook-id': 'x' },
        filters: [{ path: 'headers.x', equals: 1 }],
      },
    });
    assert.equal(res.status, 400);
    const paths = res.body.error.details.issues.map((i: any) => i.path);
    for (const p of ['spec.url', 'spec.events.0', 'spec.headers.webhook-id', 'spec.filters.0'])
      assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
  });
});
