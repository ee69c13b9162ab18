/** `tempohook apply|get|delete` for Subscription resources, against the real ingress app and store. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { applyCommand, deleteCommand, getCommand } from '../../src/cli/resource-commands';
import { createTestStore } from '../support/db';
import { startTestIngress, TEST_ADMIN_TOKEN, type TestIngress } from '../support/ingress';
import { emptyCwd, runCli } from './cli-harness';

const MANIFEST = `apiVersion: tempohook.dev/v1
kind: Subscription
metadata: { name: ops-alerts }
spec:
  url: https://hooks.example.com/\${CLI_SUB_PATH}
  events: [workflow.failed, "step.*"]
  secretRef: { name: sub-secret, key: key }
  scope: { workflowType: orderFlow }
  retry: { maximumAttempts: 5, initialInterval: 30s }
---
apiVersion: tempohook.dev/v1
kind: Secret
metadata: { name: sub-secret }
spec: { stringData: { key: "whsec_c2VjcmV0LXZhbHVlLW5ldmVyLXByaW50ZWQ=" } }
`;

describe('tempohook apply / get / delete subscriptions', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let ingress: TestIngress;
  let env: Record<string, string>;
  let manifest: string;

  before(async () => {
    store = await createTestStore();
    ingress = await startTestIngress(store, new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }));
    env = { TEMPOHOOK_URL: ingress.url, TEMPOHOOK_ADMIN_TOKEN: TEST_ADMIN_TOKEN, CLI_SUB_PATH: 'tempohook' };
    manifest = join(emptyCwd, 'subscriptions.yaml');
    writeFileSync(manifest, MANIFEST);
  });
  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  test('apply sends the Secret first, then the Subscription, with ${VAR} interpolated', async () => {
    const run = await runCli(applyCommand, ['-f', manifest], env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), [
      'secret/default/sub-secret created',
      'subscription/default/ops-alerts created',
    ]);
    assert.equal(
      (await store.subscriptions.get('default', 'ops-alerts'))?.spec.url,
      'https://hooks.example.com/tempohook',
    );
  });

  test('get subscriptions prints a table with scope and state; get subscription NAME prints YAML without secret values', async () => {
    const list = await runCli(getCommand, ['subscriptions'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+NAMESPACE\s+URL\s+EVENTS\s+SCOPE\s+STATE/m);
    assert.match(
      list.stdout,
      /ops-alerts\s+default\s+https:\/\/hooks\.example\.com\/tempohook\s+workflow\.failed,step\.\*\s+workflowType=orderFlow\s+active\s+0\s+never/,
    );
    const one = await runCli(getCommand, ['subscription', 'ops-alerts'], env);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /kind: Subscription/);
    assert.match(one.stdout, /state: active/);
    assert.ok(!one.stdout.includes('c2VjcmV0'));
  });

  test('get subscription-deliveries NAME lists the delivery log, newest first, paged; -n settings reaches settings-file ones', async () => {
    const envelope = (id: string, type: string) => ({
      id,
      type,
      timestamp: new Date().toISOString(),
      workflow: { id: `wf-${id}` },
      data: {},
    });
    const deliveries = [
      {
        id: '00000000-0000-4000-8000-000000000001',
        key: 'default/ops-alerts',
        envelope: envelope('evt_a_1', 'workflow.failed'),
        httpStatus: 503,
        status: 'pending' as const,
      },
      {
        id: '00000000-0000-4000-8000-000000000002',
        key: 'default/ops-alerts',
        envelope: envelope('evt_a_2', 'step.failed'),
        httpStatus: 200,
        status: 'succeeded' as const,
      },
      {
        id: '00000000-0000-4000-8000-000000000003',
        key: 'settings/audit',
        envelope: envelope('evt_b_1', 'workflow.completed'),
        httpStatus: 410,
        status: 'failed' as const,
      },
    ];
    for (const d of deliveries) {
      await store.notificationDeliveries.ensure({ id: d.id, subscriptionKey: d.key, envelope: d.envelope });
      const error = d.httpStatus === 200 ? null : `receiver answered HTTP ${d.httpStatus}`;
      await store.notificationDeliveries.recordAttempt(
        d.id,
        { attempt: 1, startedAt: new Date(), durationMs: 12, httpStatus: d.httpStatus, responseBody: 'x', error },
        d.status,
      );
      await new Promise((r) => setTimeout(r, 5)); // distinct creation times: the order is newest first
    }
    await store.subscriptions.register(['settings/audit']);
    await store.subscriptions.recordFinalFailure('settings/audit', 'receiver answered HTTP 410', 1, new Date());

    const table = await runCli(getCommand, ['subscription-deliveries', 'ops-alerts'], env);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(
      lines[0]!,
      /^CREATED\s+EVENT-TYPE\s+EVENT-ID\s+STATUS\s+ATTEMPTS\s+HTTP\s+WORKFLOW-ID\s+LAST-ERROR\s+DELIVERY-ID/,
    );
    assert.match(
      lines[1]!,
      /step\.failed\s+evt_a_2\s+succeeded\s+1\s+200\s+wf-evt_a_2\s+-\s+00000000-0000-4000-8000-000000000002/,
    );
    assert.match(lines[2]!, /workflow\.failed\s+evt_a_1\s+pending\s+1\s+503\s+wf-evt_a_1\s+receiver answered HTTP 503/);
    assert.equal(lines.length, 3, "only this subscription's deliveries");

    const paged = await runCli(getCommand, ['sub-deliveries', 'ops-alerts', '--limit', '1', '-o', 'json'], env);
    const page = JSON.parse(paged.stdout);
    assert.deepEqual(
      page.items.map((d: any) => d.eventId),
      ['evt_a_2'],
    );
    const next = await runCli(
      getCommand,
      ['subscription-deliveries', 'ops-alerts', '--limit', '1', '--cursor', page.nextCursor],
      env,
    );
    assert.match(next.stdout, /evt_a_1/);
    assert.doesNotMatch(next.stdout, /evt_a_2/);

    const settings = await runCli(getCommand, ['subscription-deliveries', 'audit', '-n', 'settings'], env);
    assert.equal(settings.code, 0, settings.stderr);
    assert.match(settings.stdout, /workflow\.completed\s+evt_b_1\s+failed\s+1\s+410/);
    const list = await runCli(getCommand, ['subscriptions'], env);
    assert.match(list.stdout, /audit\s+settings\s+\(settings file\)\s+-\s+global\s+disabled\s+1/);

    const none = await runCli(getCommand, ['subscription-deliveries', 'nobody-home', '-n', 'settings'], env);
    assert.equal(none.code, 0);
    assert.match(none.stderr, /No deliveries yet for subscription settings\/nobody-home/);
    const missing = await runCli(getCommand, ['subscription-deliveries', 'missing'], env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /Subscription missing not found in namespace default/);
  });

  test('delete subscription removes it', async () => {
    const run = await runCli(deleteCommand, ['subscription', 'ops-alerts'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await store.subscriptions.get('default', 'ops-alerts'), null);
  });
});
