/** `tempohook create token`, `get tokens`, `delete token`, `get audit` and `whoami` against the real ingress app and store. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { deleteCommand, getCommand } from '../../src/cli/resource-commands';
import { createCommand, whoamiCommand } from '../../src/cli/token-commands';
import { createTestStore } from '../support/db';
import { secretBody, startTestIngress, TEST_ADMIN_TOKEN, type TestIngress } from '../support/ingress';
import { allOutput, runCli } from './cli-harness';

describe('tempohook create / get / delete token, get audit, whoami', () => {
  let store: Awaited<ReturnType<typeof createTestStore>>;
  let ingress: TestIngress;
  let admin: Record<string, string>;
  let value: string;

  before(async () => {
    store = await createTestStore();
    ingress = await startTestIngress(store, new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }));
    admin = { TEMPOHOOK_URL: ingress.url, TEMPOHOOK_ADMIN_TOKEN: TEST_ADMIN_TOKEN };
  });
  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  test('create token prints the value once, on stdout alone', async () => {
    const run = await runCli(
      createCommand,
      ['token', 'team-a-ops', '--role', 'operate', '-n', 'team-a', '--expires', '30d'],
      admin,
    );
    assert.equal(run.code, 0, run.stderr);
    value = run.stdout.trim();
    assert.match(value, /^thk_[A-Za-z0-9_-]{43}$/);
    assert.match(run.stderr, /^token\/team-a-ops created: role operate, namespaces team-a, expires 20\d\d-/);
    assert.match(run.stderr, /shown this once/);

    const usage = await runCli(createCommand, ['token', 'x', '--role', 'read'], admin);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /-n NS \(repeatable\) or --all-namespaces/);
    const both = await runCli(createCommand, ['token', 'x', '--role', 'read', '-n', 'a', '--all-namespaces'], admin);
    assert.equal(both.code, 2);
    const taken = await runCli(createCommand, ['token', 'team-a-ops', '--role', 'read', '--all-namespaces'], admin);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /^error \[already_exists\]/);
  });

  test('get tokens lists them without their value', async () => {
    const run = await runCli(getCommand, ['tokens'], admin);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^NAME\s+ROLE\s+NAMESPACES\s+EXPIRES\s+PREFIX/);
    assert.match(run.stdout, /team-a-ops\s+operate\s+team-a\s+20\d\d-/);
    assert.ok(!run.stdout.includes(value));
    assert.ok(run.stdout.includes(value.slice(0, 10)));
    const one = await runCli(getCommand, ['token', 'team-a-ops', '-o', 'json'], admin);
    assert.equal(JSON.parse(one.stdout).role, 'operate');
    assert.equal((await runCli(getCommand, ['tokens', '-n', 'x'], admin)).code, 2);
  });

  test('TEMPOHOOK_TOKEN is used over TEMPOHOOK_ADMIN_TOKEN; its limits are the API answers', async () => {
    const asToken = { ...admin, TEMPOHOOK_TOKEN: value };
    const who = await runCli(whoamiCommand, [], asToken);
    assert.equal(who.code, 0, who.stderr);
    assert.match(who.stdout, /^name:\s+team-a-ops\nrole:\s+operate\nnamespaces:\s+team-a\n/);
    assert.match(
      (await runCli(whoamiCommand, [], admin)).stdout,
      /^name:\s+admin\nrole:\s+admin\nnamespaces:\s+\* \(all\)/,
    );

    const list = await runCli(getCommand, ['webhooks', '-n', 'team-a'], asToken);
    assert.equal(list.code, 0, list.stderr);
    const forbidden = await runCli(getCommand, ['tokens'], asToken);
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /^error \[forbidden\]: Token "team-a-ops" has role operate; this needs admin\./);
  });

  test('get audit shows who changed what; delete token revokes at once', async () => {
    await ingress.api('PUT', '/v1/secrets/audited?namespace=team-a', secretBody({ value: 'never-printed-value' }));
    const run = await runCli(getCommand, ['audit', '--token', 'admin'], admin);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^AT\s+TOKEN\s+METHOD\s+ROUTE\s+RESOURCE\s+NAMESPACE\s+STATUS\s+REQUEST-ID/);
    assert.match(run.stdout, /admin\s+PUT\s+\/v1\/secrets\/:name\s+secrets\/audited\s+team-a\s+201/);
    assert.match(run.stdout, /admin\s+POST\s+\/v1\/tokens\s+tokens\/team-a-ops\s+-?\s*201/);
    assert.doesNotMatch(run.stdout, /More:/);
    const paged = await runCli(getCommand, ['audit', '--token', 'admin', '--limit', '1'], admin);
    assert.match(
      paged.stdout,
      /secrets\/audited[^\n]*\n\nMore: tempohook get audit --token admin --limit 1 --cursor \S+\n$/,
    );
    assert.equal((await runCli(getCommand, ['audit', '--outcome', 'failed'], admin)).code, 2);
    assert.equal((await runCli(getCommand, ['webhooks', '--token', 'x'], admin)).code, 2);

    const revoked = await runCli(deleteCommand, ['token', 'team-a-ops'], admin);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, 'token/team-a-ops revoked\n');
    const refused = await runCli(whoamiCommand, [], { ...admin, TEMPOHOOK_TOKEN: value });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused TEMPOHOOK_TOKEN: .* revoked or has expired/);
    assert.equal((await runCli(deleteCommand, ['token', 'team-a-ops'], admin)).code, 1);
    assert.ok(!allOutput.join('').includes('never-printed-value'));
  });
});
