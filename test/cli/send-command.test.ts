/**
 * `tempohook send` end to end: the real ingress, a real store, the test run's Temporal dev
 * server and the example worker. A signed test delivery must start a run that completes.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { applyCommand } from '../../src/cli/resource-commands';
import { sendCommand } from '../../src/cli/send-command';
import { createTestStore } from '../support/db';
import { startTestIngress, TEST_ADMIN_TOKEN, type TestIngress } from '../support/ingress';
import { getTestTemporal, startExampleTestWorker, uniqueTaskQueue } from '../support/temporal';
import { allOutput, emptyCwd, runCli } from './cli-harness';

const SECRET_VALUE = 'send-secret-value-never-printed-91c2';

/** The JSON the ingress answered, printed after the status line. */
function answer(stdout: string): any {
  return JSON.parse(stdout.slice(stdout.indexOf('{')));
}

describe('tempohook send', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let temporal: Awaited<ReturnType<typeof getTestTemporal>>;
  let ingress: TestIngress;
  let worker: Awaited<ReturnType<typeof startExampleTestWorker>>;
  let env: Record<string, string>;
  const taskQueue = uniqueTaskQueue('cli-send');

  before(async () => {
    store = await createTestStore();
    temporal = await getTestTemporal();
    ingress = await startTestIngress(store, temporal.client);
    worker = await startExampleTestWorker(taskQueue);
    env = { TEMPOHOOK_URL: ingress.url, TEMPOHOOK_ADMIN_TOKEN: TEST_ADMIN_TOKEN, HOOK_SECRET: SECRET_VALUE };
    const manifest = `apiVersion: tempohook.dev/v1
kind: Secret
metadata: { name: send-secret }
spec: { stringData: { token: "\${HOOK_SECRET}" } }
---
apiVersion: tempohook.dev/v1
kind: Webhook
metadata: { name: generic-hook }
spec:
  profile: generic
  secretRef: { name: send-secret, key: token }
  start: { workflowType: weeklyReport, taskQueue: ${taskQueue} }
---
apiVersion: tempohook.dev/v1
kind: Webhook
metadata: { name: github-hook }
spec:
  profile: github
  secretRef: { name: send-secret, key: token }
  start: { workflowType: weeklyReport, taskQueue: ${taskQueue}, workflowId: "gh/{eventId}" }
`;
    const applied = await runCli(applyCommand, ['-f', '-'], env, { stdin: manifest });
    assert.equal(applied.code, 0, applied.stderr);
  });

  after(async () => {
    await worker?.stop();
    await ingress?.close();
    await store?.dropSchema();
  });

  test('a generic delivery signed with --secret-env is accepted and its run completes', async () => {
    const run = await runCli(
      sendCommand,
      [
        'generic-hook',
        '--secret-env',
        'HOOK_SECRET',
        '--data',
        '{"hello":"world","n":1}',
        '--event-type',
        'report.requested',
      ],
      env,
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const lines = run.stdout.split('\n');
    assert.match(
      lines[0]!,
      new RegExp(`^POST ${ingress.url}/v1/webhook-deliveries/[\\w-]+ \\(generic, event id [0-9a-f-]{36}\\)$`),
    );
    assert.equal(lines[1], 'HTTP 202 Accepted');
    const body = answer(run.stdout);
    assert.equal(body.accepted, true);
    assert.equal(body.duplicate, false);
    assert.match(run.stdout, /\n {2}"accepted": true,\n/, 'the answer is pretty-printed');
    const eventId = /event id ([0-9a-f-]{36})/.exec(lines[0]!)![1];
    assert.equal(body.workflowId, `default/generic-hook/${eventId}`);
    const result = await temporal.client.workflow.getHandle(body.workflowId, body.runId).result();
    assert.equal(result.eventId, eventId);
    assert.equal(result.source, 'report.requested');
    assert.equal(result.webhook, 'default/generic-hook');
  });

  test('a github delivery from --data @file with --event-id is accepted as a push', async () => {
    const file = join(emptyCwd, 'push.json');
    writeFileSync(file, '{\n  "ref": "refs/heads/main",\n  "commits": []\n}\n');
    const eventId = randomUUID();
    const run = await runCli(
      sendCommand,
      ['github-hook', '--secret', SECRET_VALUE, '--data', '@push.json', '--event-id', eventId],
      env,
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^HTTP 202 Accepted$/m);
    const body = answer(run.stdout);
    assert.equal(body.workflowId, `gh/${eventId}`);
    const result = await temporal.client.workflow.getHandle(body.workflowId).result();
    assert.equal(result.source, 'push');
    assert.equal(result.eventId, eventId);

    // The same event again is a duplicate, not a second run.
    const again = await runCli(
      sendCommand,
      ['github-hook', '--secret', SECRET_VALUE, '--data', '@push.json', '--event-id', eventId, '--event-type', 'push'],
      env,
    );
    assert.equal(again.code, 0);
    assert.equal(answer(again.stdout).duplicate, true);
  });

  test('a wrong secret shows the 401 and exits 1', async () => {
    const run = await runCli(sendCommand, ['generic-hook', '--secret', 'not-the-secret', '--data', '{}'], env);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^HTTP 401 Unauthorized$/m);
    assert.equal(answer(run.stdout).error.code, 'signature_mismatch');
    assert.equal(run.stderr, '');
  });

  test('bad input is refused before anything is posted', async () => {
    const badJson = await runCli(sendCommand, ['generic-hook', '--secret-env', 'HOOK_SECRET', '--data', '{nope'], env);
    assert.equal(badJson.code, 1);
    assert.equal(badJson.requests, 0);
    assert.match(badJson.stderr, /^error \[invalid_json\]: --data is not valid JSON/);

    const noSecret = await runCli(sendCommand, ['generic-hook', '--data', '{}'], env);
    assert.equal(noSecret.code, 2);
    assert.match(noSecret.stderr, /--secret S, or --secret-env VAR/);

    const unsetEnv = await runCli(sendCommand, ['generic-hook', '--secret-env', 'NOT_SET_ANYWHERE'], env);
    assert.equal(unsetEnv.code, 1);
    assert.match(unsetEnv.stderr, /environment variable NOT_SET_ANYWHERE \(from --secret-env\) is not set/);

    const unknown = await runCli(sendCommand, ['no-such-hook', '--secret', 'x'], env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'error [not_found]: Webhook no-such-hook not found in namespace default.\n');
  });

  test('no output ever contained the secret', () => {
    assert.ok(allOutput.length > 8);
    for (const text of allOutput) assert.doesNotMatch(text, /send-secret-value-never-printed/);
  });
});
