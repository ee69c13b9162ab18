/**
 * Filters and the normalized view over real HTTP, against the real Temporal dev server and
 * PostgreSQL: a filtered-out delivery is a 202 `ignored` that starts nothing and is recorded;
 * `{normalized.*}` placeholders reach the run's input.
 */
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startIngressFixture, type IngressFixture } from '../support/fixture';
import { secretBody, webhookBody, type TestIngress } from '../support/ingress';
import { uniqueTaskQueue } from '../support/temporal';

const SECRET = 'filters-secret';
// @octokit/webhooks-methods is ESM-only with an `import`-only export map.
const octokitSign = async (secret: string, payload: string): Promise<string> =>
  (await import('@octokit/webhooks-methods')).sign(secret, payload);

async function githubHeaders(body: string, deliveryId: string, event = 'push') {
  return {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': deliveryId,
    'x-hub-signature-256': await octokitSign(SECRET, body),
  };
}

function pushBody(ref: string) {
  return JSON.stringify({
    ref,
    after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    repository: { full_name: 'acme/api', pushed_at: 1557948030 },
    sender: { login: 'octocat' },
    commits: [{ id: '0d1a26e' }],
  });
}

describe('spec.filters and normalized payloads', () => {
  let temporal: IngressFixture['temporal'];
  let ingress: TestIngress;
  let fixture: IngressFixture;
  const taskQueue = uniqueTaskQueue('filters');
  let path: string;

  before(async () => {
    fixture = await startIngressFixture(taskQueue);
    ({ temporal, ingress } = fixture);
    assert.equal((await ingress.api('PUT', '/v1/secrets/gh-secret', secretBody({ value: SECRET }))).status, 201);
    const res = await ingress.api(
      'PUT',
      '/v1/webhooks/main-pushes',
      webhookBody({
        profile: 'github',
        secretRef: { name: 'gh-secret', key: 'value' },
        filters: [{ path: '$.ref', equals: 'refs/heads/main' }],
        start: {
          workflowType: 'weeklyReport',
          taskQueue,
          input: {
            repository: '{normalized.repository}',
            branch: '{normalized.branch}',
            title: 'push to {normalized.repository}',
          },
        },
      }),
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    path = res.body.status.endpointPath;
  });

  after(async () => {
    await fixture?.close();
  });

  test('a push to main passes the filter and starts a run whose input carries the normalized view', async () => {
    const deliveryId = randomUUID();
    const body = pushBody('refs/heads/main');
    const res = await ingress.deliver(path, body, await githubHeaders(body, deliveryId));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.duplicate, false);
    assert.equal(res.body.ignored, undefined);
    assert.equal(res.body.workflowId, `default/main-pushes/${deliveryId}`);

    const handle = temporal.client.workflow.getHandle(res.body.workflowId, res.body.runId);
    const result = await handle.result();
    assert.deepEqual(result.mapped, { repository: 'acme/api', branch: 'main', title: 'push to acme/api' });
    const [input] = (await handle.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    const startInput = JSON.parse(Buffer.from(input!.data!).toString('utf8'));
    assert.deepEqual(startInput.webhook_normalized, {
      kind: 'git.push',
      provider: 'github',
      repository: 'acme/api',
      ref: 'refs/heads/main',
      branch: 'main',
      commit: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      pushedAt: '2019-05-15T19:20:30.000Z',
      actor: 'octocat',
    });
  });

  test('a push to another branch is a 202 ignored with the reason, starts no run and is recorded as ignored', async () => {
    const deliveryId = randomUUID();
    const body = pushBody('refs/heads/feature/x');
    const res = await ingress.deliver(path, body, await githubHeaders(body, deliveryId));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body, {
      accepted: true,
      ignored: true,
      reason: 'filter 1 ($.ref equals "refs/heads/main") failed: no match',
    });

    await assert.rejects(
      temporal.client.workflow.getHandle(`default/main-pushes/${deliveryId}`).describe(),
      /not found/i,
    );
    const history = await ingress.api('GET', '/v1/webhooks/main-pushes/deliveries?limit=20');
    const mine = history.body.items.filter((d: any) => d.eventId === deliveryId);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].outcome, 'ignored');
    assert.equal(mine[0].httpStatus, 202);
    assert.equal(mine[0].reason, res.body.reason);
    assert.equal(mine[0].workflowId, null);
  });

  test('an ignored delivery holds no dedup key: the same event id later passing the filter starts a run', async () => {
    const deliveryId = randomUUID();
    const ignoredBody = pushBody('refs/heads/dev');
    const ignored = await ingress.deliver(path, ignoredBody, await githubHeaders(ignoredBody, deliveryId));
    assert.equal(ignored.body.ignored, true);
    const body = pushBody('refs/heads/main');
    const started = await ingress.deliver(path, body, await githubHeaders(body, deliveryId));
    assert.equal(started.status, 202);
    assert.equal(started.body.duplicate, false);
    assert.equal(started.body.workflowId, `default/main-pushes/${deliveryId}`);
  });

  test('a webhook with an unsafe regex filter is refused at apply time with the rule', async () => {
    const res = await ingress.api(
      'PUT',
      '/v1/webhooks/bad-filter',
      webhookBody({
        profile: 'github',
        secretRef: { name: 'gh-secret', key: 'value' },
        filters: [{ path: '$.ref', matches: '^(a+)+$' }],
        start: { workflowType: 'weeklyReport', taskQueue },
      }),
    );
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(JSON.stringify(res.body), /quantifier or alternation/);
  });
});
