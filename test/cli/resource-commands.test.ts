/**
 * `tempohook apply|get|delete` against the real ingress app (ephemeral port, real store) over
 * real HTTP. No Temporal call is made by these commands, so the client is a lazy one.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import YAML from 'yaml';
import { applyCommand, deleteCommand, getCommand } from '../../src/cli/resource-commands';
import { compileMatch } from '../../src/waits/match';
import { createTestStore } from '../support/db';
import { startTestIngress, TEST_ADMIN_TOKEN, type TestIngress } from '../support/ingress';
import { allOutput, emptyCwd, runCli } from './cli-harness';

/** A loopback port nothing listens on (fetch refuses some low ports outright, so not 1). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

const SECRET_VALUE = 'cli-secret-value-never-printed-7f3a';
const ROOT = join(__dirname, '..', '..');

const MANIFEST = `# webhooks first on purpose: apply must still send the Secret before them
apiVersion: tempohook.dev/v1
kind: Webhook
metadata:
  name: github-push
spec:
  profile: github
  secretRef: { name: hook-secret, key: token }
  start: { workflowType: weeklyReport, taskQueue: cli-test }
---
apiVersion: tempohook.dev/v1
kind: Secret
metadata:
  name: hook-secret
spec:
  stringData:
    # a value with "#" and ": " would break text substitution; it is substituted as a value
    token: \${CLI_TEST_SECRET}
---
apiVersion: tempohook.dev/v1
kind: Webhook
metadata:
  name: reports
  namespace: default
spec:
  profile: generic
  secretRef: { name: hook-secret, key: token }
  dedupWindow: 1h
  start:
    workflowType: weeklyReport
    taskQueue: cli-test
    workflowId: "reports/{eventId}"
`;

describe('tempohook apply / get / delete', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let ingress: TestIngress;
  let env: Record<string, string>;
  let manifest: string;

  before(async () => {
    store = await createTestStore();
    const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
    ingress = await startTestIngress(store, client);
    env = {
      TEMPOHOOK_URL: ingress.url,
      TEMPOHOOK_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      CLI_TEST_SECRET: `${SECRET_VALUE} # not: a comment`,
    };
    manifest = join(emptyCwd, 'resources.yaml');
    writeFileSync(manifest, MANIFEST);
  });
  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  const endpoints = (stdout: string) =>
    Object.fromEntries([...stdout.matchAll(/^webhook\/(\S+) \w+: POST (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));

  test('apply -f creates a secret and two webhooks, secret first; re-apply configures them on the same endpoints', async () => {
    const first = await runCli(applyCommand, ['-f', manifest], env);
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stdout.trim().split('\n');
    assert.equal(lines[0], 'secret/default/hook-secret created');
    assert.match(
      lines[1]!,
      /^webhook\/default\/github-push created: POST http:\/\/127\.0\.0\.1:\d+\/v1\/webhook-deliveries\/[\w-]{32,}$/,
    );
    assert.match(lines[2]!, /^webhook\/default\/reports created: POST /);
    assert.equal(lines.length, 3);
    // The value went in as written, "#" and all: YAML structure was not touched by the substitution.
    assert.deepEqual((await store.secrets.get('default', 'hook-secret'))?.data, {
      token: `${SECRET_VALUE} # not: a comment`,
    });
    assert.equal(
      (await store.webhooks.get('default', 'reports'))?.spec.dedupWindow,
      '1h',
      'the spec is stored as written',
    );

    const again = await runCli(applyCommand, ['--file', manifest], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^secret\/default\/hook-secret configured$/m);
    assert.match(again.stdout, /^webhook\/default\/github-push configured: POST /m);
    assert.deepEqual(endpoints(again.stdout), endpoints(first.stdout));
    assert.equal(Object.keys(endpoints(first.stdout)).length, 2);
  });

  test('an invalid document stops apply before anything is sent, naming the document and field', async () => {
    const text = `apiVersion: tempohook.dev/v1
kind: Secret
metadata: { name: never-sent }
spec: { stringData: { token: abc } }
---
apiVersion: tempohook.dev/v1
kind: Webhook
metadata: { name: never-sent-hook }
spec:
  profile: generic
  secretRef: { name: never-sent, key: token }
  start: { workflowType: weeklyReport }
---
apiVersion: tempohook.dev/v1
kind: Webhook
metadata: { name: Bad_Name }
spec:
  profile: no-such-profile
  secretRef: { name: never-sent, key: token }
  start: { workflowType: weeklyReport, taskQueue: q }
`;
    const run = await runCli(applyCommand, ['-f', '-'], env, { stdin: text });
    assert.equal(run.code, 1);
    assert.equal(run.requests, 0, 'no request was made');
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^error \[invalid_resource\]: nothing was applied/);
    assert.match(run.stderr, /<stdin>: documents\[1\]\.spec\.start\.taskQueue: /);
    assert.match(run.stderr, /<stdin>: documents\[2\]\.metadata\.name: must be lower-case/);
    assert.match(run.stderr, /<stdin>: documents\[2\]\.spec\.profile: unknown profile; use one of: generic, github/);
    assert.equal(await store.secrets.get('default', 'never-sent'), null);
    assert.equal(await store.webhooks.get('default', 'never-sent-hook'), null);
  });

  test('an unset ${VAR} is an error naming the variable and where it is used; nothing is sent', async () => {
    const run = await runCli(applyCommand, ['-f', manifest], { ...env, CLI_TEST_SECRET: undefined });
    assert.equal(run.code, 1);
    assert.equal(run.requests, 0);
    assert.match(
      run.stderr,
      /documents\[1\]\.spec\.stringData\.token: environment variable CLI_TEST_SECRET is not set/,
    );
  });

  test('YAML syntax errors name the file, document and line without quoting the file', async () => {
    const run = await runCli(applyCommand, ['-f', '-'], env, {
      stdin: 'kind: Secret\n---\nspec: [\n  secret-line-content\n',
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^error \[invalid_yaml\]: <stdin>: documents\[1\]: .*line \d+, column \d+/);
    assert.doesNotMatch(run.stderr, /secret-line-content/);
  });

  test('-n applies to documents without a namespace and must agree with those that have one', async () => {
    const doc = (ns?: string) =>
      YAML.stringify({
        apiVersion: 'tempohook.dev/v1',
        kind: 'Secret',
        metadata: { name: 'team-secret', ...(ns ? { namespace: ns } : {}) },
        spec: { stringData: { k: 'v' } },
      });
    const ok = await runCli(applyCommand, ['-f', '-', '-n', 'team-b'], env, { stdin: doc() });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'secret/team-b/team-secret created\n');
    const clash = await runCli(applyCommand, ['-f', '-', '-n', 'team-b'], env, { stdin: doc('team-c') });
    assert.equal(clash.code, 1);
    assert.equal(clash.requests, 0);
    assert.match(clash.stderr, /documents\[0\]\.metadata\.namespace: "team-c" differs from -n team-b/);
  });

  test('get webhooks and get secrets print tables; secrets show key names only', async () => {
    const hooks = await runCli(getCommand, ['webhooks'], env);
    assert.equal(hooks.code, 0, hooks.stderr);
    const [header, ...rows] = hooks.stdout.trimEnd().split('\n');
    assert.match(header!, /^NAME\s+NAMESPACE\s+PROFILE\s+ENDPOINT\s+VERIFIED\s+LAST-DELIVERY$/);
    assert.equal(rows.length, 2);
    assert.match(hooks.stdout, /^github-push\s+default\s+github\s+\/v1\/webhook-deliveries\/[\w-]+\s+no\s+never$/m);

    const secrets = await runCli(getCommand, ['secrets'], env);
    assert.match(secrets.stdout, /^NAME\s+NAMESPACE\s+KEYS\s+UPDATED$/m);
    assert.match(secrets.stdout, /^hook-secret\s+default\s+token\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);
    assert.match(secrets.stdout, /^team-secret\s+team-b\s+k\s/m);

    const teamB = await runCli(getCommand, ['secrets', '-n', 'team-b'], env);
    assert.doesNotMatch(teamB.stdout, /hook-secret/);
    const none = await runCli(getCommand, ['webhooks', '--namespace', 'team-b'], env);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /No webhooks found in namespace team-b/);

    for (const format of ['json', 'yaml']) {
      const out = await runCli(getCommand, ['secrets', '-o', format], env);
      assert.equal(out.code, 0);
      assert.doesNotMatch(out.stdout, /cli-secret-value/);
    }
  });

  test('get webhook NAME shows the endpoint and status, including the last error', async () => {
    const webhook = await store.webhooks.get('default', 'github-push');
    const bad = await ingress.deliver(`/v1/webhook-deliveries/${webhook!.endpointId}`, '{"a":1}', {
      'content-type': 'application/json',
      'x-hub-signature-256': 'sha256=' + '0'.repeat(64),
      'x-github-delivery': 'd-1',
      'x-github-event': 'push',
    });
    assert.equal(bad.status, 401);
    const run = await runCli(getCommand, ['webhook', 'github-push'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Name:\s+github-push$/m);
    assert.match(run.stdout, /^Profile:\s+github$/m);
    assert.match(
      run.stdout,
      new RegExp(`^Endpoint:\\s+POST ${ingress.url}/v1/webhook-deliveries/${webhook!.endpointId}$`, 'm'),
    );
    assert.match(run.stdout, /^Secret refs:\s+hook-secret\/token$/m);
    assert.match(run.stdout, /^Start:\s+workflow weeklyReport on task queue cli-test$/m);
    assert.match(run.stdout, /^Verified:\s+no/m);
    assert.match(run.stdout, /^Last error:\s+401 signature_mismatch: .+ \(at \d{4}-/m);
    assert.match(run.stdout, /^Deliveries:\s+0 accepted, 1 rejected$/m);

    const missing = await runCli(getCommand, ['webhook', 'nope'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error [not_found]: Webhook nope not found in namespace default.\n');
  });

  test('get deliveries NAME shows what each route of a delivery did', async () => {
    const webhook = await store.webhooks.get('default', 'reports');
    const receivedAt = new Date();
    const reserved = await store.deliveries.reserve({
      webhookId: webhook!.id,
      eventId: 'routed-1',
      sourceEvent: null,
      receivedAt,
      windowSeconds: 60,
    });
    await store.deliveries.complete(
      reserved.delivery.id,
      { outcome: 'failed', httpStatus: 503, reason: 'Temporal unavailable' },
      {
        release: true,
        routes: {
          webhookId: webhook!.id,
          eventId: 'routed-1',
          now: receivedAt,
          expiresAt: new Date(receivedAt.getTime() + 60_000),
          actions: [
            { route: 'deploy', action: 'start', status: 'started', workflowId: 'w1', runId: 'r1' },
            { route: 'activity', action: 'signalWithStart', status: 'unavailable', workflowId: 'repo/a', runId: null },
          ],
        },
      },
    );
    const page = await runCli(getCommand, ['deliveries', 'reports', '--limit', '1'], env);
    assert.equal(page.code, 0, page.stderr);
    assert.match(page.stdout, /routed-1 .* deploy:start=started activity:signalWithStart=unavailable/);
    const json = JSON.parse((await runCli(getCommand, ['deliveries', 'reports', '-o', 'json'], env)).stdout);
    const routed = json.items.find((d: { eventId: string }) => d.eventId === 'routed-1');
    assert.deepEqual(
      routed.actions.map((a: { route: string; status: string }) => `${a.route}=${a.status}`),
      ['deploy=started', 'activity=unavailable'],
    );
  });

  test('get deliveries NAME pages newest first and prints the next cursor', async () => {
    const webhook = await store.webhooks.get('default', 'github-push');
    await ingress.deliver(`/v1/webhook-deliveries/${webhook!.endpointId}`, '{}', {
      'content-type': 'application/json',
      'x-github-delivery': 'd-2',
    });
    const page = await runCli(getCommand, ['deliveries', 'github-push', '--limit', '1'], env);
    assert.equal(page.code, 0, page.stderr);
    const lines = page.stdout.split('\n');
    assert.match(lines[0]!, /^RECEIVED\s+EVENT-ID\s+STATUS\s+OUTCOME\s+WORKFLOW-ID\s+ROUTES\s+REASON$/);
    assert.match(
      lines[1]!,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+(?:d-2|-)\s+401\s+rejected\s+-\s+-\s+signature_missing: x-hub-signature-256 header missing$/,
    );
    const cursor = /^More: tempohook get deliveries github-push --limit 1 --cursor (\S+)$/m.exec(page.stdout)?.[1];
    assert.ok(cursor, page.stdout);
    const next = await runCli(getCommand, ['deliveries', 'github-push', '--limit', '1', '--cursor', cursor], env);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, /401\s+rejected\s+-\s+-\s+signature_mismatch/);

    const json = await runCli(getCommand, ['deliveries', 'github-push', '-o', 'json'], env);
    const body = JSON.parse(json.stdout);
    assert.equal(body.items.length, 2);
    assert.equal(body.nextCursor, null);

    const badLimit = await runCli(getCommand, ['deliveries', 'github-push', '--limit', '0'], env);
    assert.equal(badLimit.code, 2);
    assert.match(badLimit.stderr, /^error \[usage\]: --limit 0/);
  });

  test('get deliveries --webhook NAME --outcome … --since 2h searches the delivery log', async () => {
    const rejected = await runCli(
      getCommand,
      ['deliveries', '--webhook', 'github-push', '--outcome', 'rejected', '--since', '2h', '-o', 'json'],
      env,
    );
    assert.equal(rejected.code, 0, rejected.stderr);
    const body = JSON.parse(rejected.stdout);
    assert.equal(body.items.length, 2);
    assert.ok(body.items.every((d: { outcome: string }) => d.outcome === 'rejected'));

    const paged = await runCli(
      getCommand,
      ['deliveries', '--webhook', 'github-push', '--outcome', 'rejected', '--limit', '1'],
      env,
    );
    assert.match(
      paged.stdout,
      /^More: tempohook get deliveries github-push --outcome rejected --limit 1 --cursor \S+$/m,
    );

    const none = await runCli(getCommand, ['deliveries', '--webhook', 'github-push', '--outcome', 'started'], env);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stderr, 'No deliveries yet for webhook default/github-push.\n');

    const bad = await runCli(getCommand, ['deliveries', 'github-push', '--since', 'yesterday'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /\?since: /);
    const misplaced = await runCli(getCommand, ['webhooks', '--outcome', 'failed'], env);
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.stderr, /apply to `get deliveries` only/);
  });

  test('get waits NAME lists the runs waiting on a webhook, oldest first, and pages', async () => {
    const hook = (
      await store.webhooks.apply('default', 'approvals', {
        profile: 'github',
        secretRef: { name: 'hook-secret', key: 'token' },
        signal: { enabled: true },
      })
    ).webhook;
    const empty = await runCli(getCommand, ['waits', 'approvals'], env);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, '');
    assert.equal(empty.stderr, 'No open waits yet for webhook default/approvals.\n');

    const register = (
      workflowId: string,
      match: Record<string, unknown>,
      extra: { condition?: string; timeoutAt?: Date } = {},
    ) =>
      store.waits.register({
        id: randomUUID(),
        webhookId: hook.id,
        temporalNamespace: 'default',
        workflowId,
        runId: randomUUID(),
        workflowType: 'approveOrder',
        match,
        compiled: compileMatch(match),
        condition: extra.condition ?? null,
        vars: null,
        since: null,
        timeoutAt: extra.timeoutAt ?? null,
        now: new Date(),
        accepts: () => true,
      });
    await register(
      'order-1',
      { '$.order.id': 1 },
      { condition: 'payload.approved == true', timeoutAt: new Date('2030-01-02T03:04:05Z') },
    );
    await register('order-2', {});

    const page = await runCli(getCommand, ['waits', 'approvals', '--limit', '1'], env);
    assert.equal(page.code, 0, page.stderr);
    const lines = page.stdout.split('\n');
    assert.match(lines[0]!, /^CREATED\s+WORKFLOW-ID\s+WORKFLOW-TYPE\s+STATE\s+MATCH\s+TIMEOUT\s+WAIT-ID$/);
    assert.match(
      lines[1]!,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+order-1\s+approveOrder\s+open\s+\$\.order\.id=1 if payload\.approved == true\s+2030-01-02T03:04:05Z\s+[0-9a-f-]{36}$/,
    );
    const cursor = /^More: tempohook get waits approvals --limit 1 --cursor (\S+)$/m.exec(page.stdout)?.[1];
    assert.ok(cursor, page.stdout);
    const next = await runCli(getCommand, ['waits', 'approvals', '--limit', '1', '--cursor', cursor], env);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, /\sorder-2\s+approveOrder\s+open\s+\(any delivery\)\s+none\s/);
    assert.doesNotMatch(next.stdout, /^More:/m);

    const json = await runCli(getCommand, ['waits', 'approvals', '-o', 'json'], env);
    const body = JSON.parse(json.stdout);
    assert.deepEqual(
      body.items.map((w: { workflowId: string }) => w.workflowId),
      ['order-1', 'order-2'],
    );
    assert.equal(body.items[0].if, 'payload.approved == true');
    assert.equal(body.nextCursor, null);

    const missing = await runCli(getCommand, ['waits', 'nope'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error [not_found]: Webhook nope not found in namespace default.\n');
    const noName = await runCli(getCommand, ['waits'], env);
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /get waits needs the webhook NAME/);
    assert.equal(
      await store.webhooks.delete('default', 'approvals'),
      true,
      "the later tests count the manifest's webhooks",
    );
  });

  test('get -o json prints the API answer; -o yaml prints the same data and can be applied back unchanged', async () => {
    const json = await runCli(getCommand, ['webhook', 'reports', '-o', 'json'], env);
    const yaml = await runCli(getCommand, ['webhook', 'reports', '-o', 'yaml'], env);
    assert.equal(json.code, 0);
    assert.equal(yaml.code, 0);
    const fromJson = JSON.parse(json.stdout);
    assert.deepEqual(YAML.parse(yaml.stdout), fromJson);
    assert.equal(fromJson.spec.start.workflowId, 'reports/{eventId}');

    const file = join(emptyCwd, 'reports-roundtrip.yaml');
    writeFileSync(file, yaml.stdout);
    const reapplied = await runCli(applyCommand, ['-f', file], env);
    assert.equal(reapplied.code, 0, reapplied.stderr);
    assert.equal(
      reapplied.stdout,
      `webhook/default/reports configured: POST ${ingress.url}${fromJson.status.endpointPath}\n`,
    );
    const after = JSON.parse((await runCli(getCommand, ['webhook', 'reports', '-o', 'json'], env)).stdout);
    assert.deepEqual(after.spec, fromJson.spec);
    assert.equal(after.metadata.generation, fromJson.metadata.generation, 'an unchanged spec is not a new generation');

    // A whole list, piped back in.
    const list = await runCli(getCommand, ['webhooks', '-n', 'default', '-o', 'yaml'], env);
    const applied = await runCli(applyCommand, ['-f', '-'], env, { stdin: list.stdout });
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.stdout.trim().split('\n').length, 2);
  });

  test('delete webhook and delete secret remove them; deleting again is not_found', async () => {
    const hook = await runCli(deleteCommand, ['webhook', 'reports'], env);
    assert.equal(hook.code, 0, hook.stderr);
    assert.equal(hook.stdout, 'webhook/default/reports deleted\n');
    assert.equal(await store.webhooks.get('default', 'reports'), null);
    const again = await runCli(deleteCommand, ['webhook', 'reports'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error \[not_found\]: Webhook reports not found in namespace default\.$/m);
    const secret = await runCli(deleteCommand, ['secret', 'team-secret', '-n', 'team-b'], env);
    assert.equal(secret.stdout, 'secret/team-b/team-secret deleted\n');
    assert.equal(await store.secrets.get('team-b', 'team-secret'), null);
    const usage = await runCli(deleteCommand, ['deliveries', 'x'], env);
    assert.equal(usage.code, 2);
  });

  test('without an admin token the error says how to get one; a wrong token is refused', async () => {
    const missing = await runCli(getCommand, ['webhooks'], { TEMPOHOOK_URL: ingress.url });
    assert.equal(missing.code, 1);
    assert.equal(missing.requests, 0);
    assert.match(
      missing.stderr,
      /^error \[admin_token_missing\]: Neither TEMPOHOOK_TOKEN nor TEMPOHOOK_ADMIN_TOKEN is set\. `npm start` prints the admin token/,
    );

    const wrong = await runCli(getCommand, ['webhooks'], {
      TEMPOHOOK_URL: ingress.url,
      TEMPOHOOK_ADMIN_TOKEN: 'wrong-token-wrong-token',
    });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^error \[unauthorized\]: .* refused the admin token/);

    // Next to `npm start`, the dev data dir's token is used.
    const devDir = join(emptyCwd, 'dev-project');
    mkdirSync(join(devDir, '.tempohook'), { recursive: true });
    writeFileSync(join(devDir, '.tempohook', 'admin-token'), `${TEST_ADMIN_TOKEN}\n`);
    const fromFile = await runCli(
      getCommand,
      ['webhooks', '-o', 'json'],
      { TEMPOHOOK_URL: ingress.url },
      { cwd: devDir },
    );
    assert.equal(fromFile.code, 0, fromFile.stderr);
  });

  test('an ingress that is not running is named, with what to do', async () => {
    const port = await closedPort();
    const run = await runCli(getCommand, ['webhooks'], {
      TEMPOHOOK_URL: `http://127.0.0.1:${port}`,
      TEMPOHOOK_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `error [unreachable]: Nothing is listening at http://127.0.0.1:${port} (connection refused). Start tempohook with \`npm start\`, or set TEMPOHOOK_URL to where the ingress listens.\n`,
    );
    const bad = await runCli(getCommand, ['webhooks'], {
      TEMPOHOOK_URL: 'ftp://x',
      TEMPOHOOK_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    });
    assert.match(bad.stderr, /^error \[invalid_config\]: TEMPOHOOK_URL "ftp:\/\/x" must be an http/);
  });

  test('usage mistakes exit 2 and point at --help', async () => {
    const unknownFlag = await runCli(getCommand, ['webhooks', '--bogus'], env);
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /see `tempohook get --help`/);
    const noFile = await runCli(applyCommand, [], env);
    assert.equal(noFile.code, 2);
    const help = await runCli(applyCommand, ['--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: tempohook apply -f FILE/);
    const badOutput = await runCli(getCommand, ['webhooks', '-o', 'xml'], env);
    assert.equal(badOutput.code, 2);
  });

  test('`node bin/tempohook.js get webhooks -o json` works as a real process', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin', 'tempohook.js'), 'get', 'webhooks', '-o', 'json'],
      {
        cwd: emptyCwd,
        env: { PATH: process.env.PATH, TEMPOHOOK_URL: ingress.url, TEMPOHOOK_ADMIN_TOKEN: TEST_ADMIN_TOKEN },
        timeout: 60_000,
      },
    );
    const body = JSON.parse(stdout);
    assert.ok(body.items.some((w: { metadata: { name: string } }) => w.metadata.name === 'github-push'));
  });

  test('no command printed a secret value', () => {
    assert.ok(allOutput.length > 20);
    for (const text of allOutput) assert.doesNotMatch(text, /cli-secret-value-never-printed/);
  });
});
