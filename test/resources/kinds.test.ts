/** The registry of resource kinds: what a new kind must get right to fit the API and the CLI. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { API_VERSION } from '../../src/resources/envelope';
import { kindForWord, kindNamed, listOfWords, RESOURCE_KINDS } from '../../src/resources/kinds';
import { presentSecret } from '../../src/resources/kinds/secret';
import { presentSubscription } from '../../src/resources/kinds/subscription';
import { presentWebhook, webhookKind, webhookUrl } from '../../src/resources/kinds/webhook';

const now = new Date('2026-01-02T03:04:05.678Z');

/** A stored webhook with `spec`, as the repository returns it. */
const webhookRecord = (spec: Record<string, unknown>) => ({
  id: '00000000-0000-4000-8000-000000000000',
  namespace: 'default',
  name: 'w',
  spec,
  endpointId: 'abc',
  generation: 1,
  verified: false,
  lastDeliveryAt: null,
  lastError: null,
  lastErrorAt: null,
  deliveriesAccepted: 0,
  deliveriesRejected: 0,
  createdAt: now,
  updatedAt: now,
});

test('every word of every kind names exactly that kind', () => {
  const seen = new Map<string, string>();
  for (const kind of RESOURCE_KINDS) {
    for (const word of [kind.words.singular, kind.words.plural, ...kind.words.aliases]) {
      assert.equal(seen.get(word), undefined, `"${word}" names ${seen.get(word)} and ${kind.kind}`);
      seen.set(word, kind.kind);
      assert.equal(kindForWord(word), kind);
    }
    assert.equal(kindNamed(kind.kind), kind);
  }
  assert.equal(kindForWord('deliveries'), undefined);
  assert.equal(kindNamed('webhook'), undefined, 'manifest kinds are capitalized');
});

test("each kind's schema takes its own kind with the one api version, and refuses another kind's", () => {
  for (const kind of RESOURCE_KINDS) {
    const other = RESOURCE_KINDS.find((k) => k !== kind)!;
    const doc = (k: string, apiVersion = API_VERSION) => ({ apiVersion, kind: k, metadata: { name: 'x' }, spec: {} });
    const own = kind.schema.safeParse(doc(kind.kind));
    assert.ok(own.success || own.error.issues.every((i) => i.path[0] === 'spec'), `${kind.kind}: only spec issues`);
    for (const bad of [doc(other.kind), doc(kind.kind, 'tempohook.dev/v2')]) {
      const parsed = kind.schema.safeParse(bad);
      assert.equal(parsed.success, false);
      assert.ok(parsed.error.issues.some((i) => i.path[0] === 'kind' || i.path[0] === 'apiVersion'));
    }
    const headers = kind.columns.map((c) => c.header);
    assert.deepEqual(headers.slice(0, 2), ['NAME', 'NAMESPACE'], `${kind.kind}: tables start with NAME, NAMESPACE`);
    assert.equal(new Set(headers).size, headers.length);
  }
});

test('a secret is presented with its key names only, sorted', () => {
  const view = presentSecret({
    namespace: 'default',
    name: 's',
    data: { zeta: 'value-one', alpha: 'value-two' },
    createdAt: now,
    updatedAt: now,
  });
  assert.deepEqual(view.status.keys, ['alpha', 'zeta']);
  assert.doesNotMatch(JSON.stringify(view), /value-one|value-two/);
});

test("a webhook's URL is the public one when the API knows it, else the one the CLI talks to", () => {
  const record = webhookRecord({ profile: 'github' });
  const cli = { baseUrl: 'http://127.0.0.1:8080' };
  assert.equal(webhookUrl(presentWebhook(record), cli), 'http://127.0.0.1:8080/v1/webhook-deliveries/abc');
  const pub = presentWebhook(record, { publicUrl: 'https://hooks.example.com/' });
  assert.equal(webhookUrl(pub, cli), 'https://hooks.example.com/v1/webhook-deliveries/abc');
});

test("a webhook's details list its routes in order with their mode, action and condition", () => {
  const spec = {
    profile: 'github',
    mode: 'all',
    routes: [
      { name: 'deploy', when: 'source == "push"', start: { workflowType: 'deployOnPush', taskQueue: 'q' } },
      {
        name: 'activity',
        match: { '$.action': 'opened' },
        signalWithStart: { workflowType: 'repositoryActivity', taskQueue: 'q', workflowId: 'repo/{payload.id}' },
      },
    ],
  };
  const record = webhookRecord(spec);
  const details = new Map(webhookKind.details!(presentWebhook(record), { baseUrl: 'http://x' }));
  assert.equal(
    details.get('Routes'),
    'all matching of 2: deploy: start deployOnPush when source == "push"; activity: signalWithStart repositoryActivity repo/{payload.id} match {"$.action":"opened"}',
  );
  assert.equal(details.get('Start'), undefined);
});

test('a subscription shows paused, disabled or active; a settings-file one has no spec', () => {
  const record = {
    namespace: 'default',
    name: 's',
    spec: { url: 'https://x.example' },
    generation: 1,
    createdAt: now,
    updatedAt: now,
  };
  const status = {
    key: 'default/s',
    consecutiveFailures: 3,
    disabledAt: now,
    disabledReason: 'disabled after 3 consecutive failed deliveries',
    lastDeliveryAt: null,
    lastStatus: null,
    lastError: null,
    deliveriesSucceeded: 0,
    deliveriesFailed: 3,
  };
  assert.equal(presentSubscription({ source: 'api', record, status: null }).status.state, 'active');
  assert.equal(presentSubscription({ source: 'api', record, status }).status.state, 'disabled');
  const paused = { ...record, spec: { ...record.spec, enabled: false } };
  assert.equal(presentSubscription({ source: 'api', record: paused, status }).status.state, 'paused');
  const settings = presentSubscription({
    source: 'settings',
    name: 'audit',
    status: { ...status, key: 'settings/audit' },
  });
  assert.deepEqual([settings.metadata.namespace, settings.spec, settings.status.state], ['settings', null, 'disabled']);
});

test('listOfWords joins with commas and a last "or" (or "and")', () => {
  assert.equal(listOfWords(['Secret', 'Webhook', 'Subscription']), 'Secret, Webhook or Subscription');
  assert.equal(listOfWords(['a', 'b'], 'and'), 'a and b');
  assert.equal(listOfWords(['a']), 'a');
});
