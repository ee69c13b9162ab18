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
    assert.deepEqual(run.stdout.trim().split('\n'), ['secret/default/sub-secret created', 'subscription/default/ops-alerts created']);
    assert.equal((await store.subscriptions.get('default', 'ops-alerts'))?.spec.url, 'https://hooks.example.com/tempohook');
  });

  test('get subscriptions prints a table with scope and state; get subscription NAME prints YAML without secret values', async () => {
    const list = await runCli(getCommand, ['subscriptions'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+NAMESPACE\s+URL\s+EVENTS\s+SCOPE\s+STATE/m);
    assert.match(list.stdout, /ops-alerts\s+default\s+https:\/\/hooks\.example\.com\/tempohook\s+workflow\.failed,step\.\*\s+workflowType=orderFlow\s+active\s+0\s+never/);
    const one = await runCli(getCommand, ['subscription', 'ops-alerts'], env);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /kind: Subscription/);
    assert.match(one.stdout, /state: active/);
    assert.ok(!one.stdout.includes('c2VjcmV0'));
  });

  test('delete subscription removes it', async () => {
    const run = await runCli(deleteCommand, ['subscription', 'ops-alerts'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await store.subscriptions.get('default', 'ops-alerts'), null);
  });
});
