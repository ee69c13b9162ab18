/**
 * Payloads kept, over real HTTP against the Temporal dev server and PostgreSQL (secrets key set):
 * every verified delivery keeps its raw body and its headers with the credentials removed — the
 * profile's signature or token header, what the conditions read, `authorization`, cookies — sealed
 * at rest; an unverified request keeps nothing; `spec.retention.payloads: 0` keeps nothing; the
 * delivery's detail shows the body, the headers and the run with its Temporal UI link; the
 * retention job purges payloads on their own retention.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/logger';
import { purgeRetained } from '../../src/ingress/retention';
import { createTestStore, type TestStore } from '../support/db';
import { secretBody, startTestIngress, webhookBody, type TestIngress } from '../support/ingress';
import { getTestTemporal, uniqueTaskQueue } from '../support/temporal';

const SECRET = 'kept-payload-hmac-secret';
const BEARER = 'bearer-token-that-must-never-be-stored';
const GITLAB_TOKEN = 'gitlab-token-that-must-never-be-stored';
const COOKIE = 'session=cookie-that-must-never-be-stored';
const octokitSign = async (secret: string, payload: string): Promise<string> =>
  (await import('@octokit/webhooks-methods')).sign(secret, payload);

describe('payloads kept', () => {
  let store: TestStore;
  let ingress: TestIngress;
  const taskQueue = uniqueTaskQueue('kept');
  const paths: Record<string, string> = {};

  before(async () => {
    store = await createTestStore({ encryptionKey: randomBytes(32).toString('base64') });
    const temporal = await getTestTemporal();
    ingress = await startTestIngress(store, temporal.client, { temporalUiUrl: 'http://temporal-ui.example:8233' });
    const put = async (path: string, body: unknown) => {
      const res = await ingress.api('PUT', path, body);
      assert.ok(res.status < 300, `${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    await put('/v1/secrets/kept', secretBody({ value: SECRET, bearer: BEARER, gitlab: GITLAB_TOKEN }));
    const start = { workflowType: 'weeklyReport', taskQueue };
    const github = {
      profile: 'github',
      secretRef: { name: 'kept', key: 'value' },
      // A second proof on top of the signature: a bearer token the verifier reads as a secret.
      conditions: [
        {
          type: 'static-token',
          lookup: { in: 'header', name: 'Authorization' },
          prefix: 'Bearer ',
          secretRef: { name: 'kept', key: 'bearer' },
        },
      ],
      filters: [{ path: '$.action', matches: '^(opened|x)$' }],
      start,
    };
    paths.github = (await put('/v1/webhooks/gh', webhookBody(github))).status.endpointPath;
    paths.none = (
      await put('/v1/webhooks/gh-none', webhookBody({ ...github, retention: { payloads: 0 } }))
    ).status.endpointPath;
    paths.gitlab = (
      await put(
        '/v1/webhooks/gl',
        webhookBody({ profile: 'gitlab', secretRef: { name: 'kept', key: 'gitlab' }, start }),
      )
    ).status.endpointPath;
  });

  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  async function github(path: string, payload: unknown, options: { secret?: string; bearer?: string } = {}) {
    const body = JSON.stringify(payload);
    return ingress.deliver(path, body, {
      'content-type': 'application/json',
      'x-github-delivery': randomUUID(),
      'x-github-event': 'push',
      'x-hub-signature-256': await octokitSign(options.secret ?? SECRET, body),
      authorization: `Bearer ${options.bearer ?? BEARER}`,
      cookie: COOKIE,
      'user-agent': 'GitHub-Hookshot/kept',
    });
  }

  /** Every byte stored for a delivery's payload, as the table holds it. */
  async function storedRow(deliveryId: string) {
    return (
      await store.db.query<{ body: Buffer; headers: Buffer; key_id: string | null; raw: string }>(
        `SELECT body, headers, key_id, row_to_json(b)::text AS raw FROM delivery_bodies b WHERE delivery_id = $1`,
        [deliveryId],
      )
    ).rows[0];
  }

  /** Deliveries of a webhook and whether each kept a payload. */
  async function keptByOutcome(webhook: string) {
    return (
      await store.db.query<{ outcome: string; http_status: number; kept: boolean }>(
        `SELECT d.outcome, d.http_status, b.delivery_id IS NOT NULL AS kept
         FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id LEFT JOIN delivery_bodies b ON b.delivery_id = d.id
         WHERE w.name = $1 ORDER BY d.received_at`,
        [webhook],
      )
    ).rows;
  }

  test('a verified delivery keeps its body and headers, sealed, without the signature, the bearer token or the cookie', async () => {
    const res = await github(paths.github!, { action: 'opened', note: 'readable words' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const row = await storedRow(res.body.deliveryId);
    assert.ok(row, 'a payload row');
    assert.ok(row.key_id, 'sealed with TEMPOHOOK_SECRET_KEY');
    for (const secret of ['readable words', BEARER, COOKIE, 'sha256=', 'x-hub-signature'])
      assert.ok(!row.raw.includes(secret), `the table holds no ${secret}`);

    const kept = await store.deliveries.getPayload(res.body.deliveryId);
    assert.ok(kept);
    assert.deepEqual(JSON.parse(kept.body.toString()), { action: 'opened', note: 'readable words' });
    assert.equal(kept.headers['user-agent'], 'GitHub-Hookshot/kept');
    assert.equal(kept.headers['x-github-event'], 'push');
    for (const name of ['x-hub-signature-256', 'authorization', 'cookie'])
      assert.equal(kept.headers[name], undefined, `${name} is not kept`);
    assert.ok(!JSON.stringify(kept.headers).includes(BEARER));
  });

  test('a GitLab token header is not kept', async () => {
    const body = JSON.stringify({ object_kind: 'push' });
    const res = await ingress.deliver(paths.gitlab!, body, {
      'content-type': 'application/json',
      'x-gitlab-token': GITLAB_TOKEN,
      'idempotency-key': randomUUID(),
      'x-gitlab-event': 'Push Hook',
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const kept = await store.deliveries.getPayload(res.body.deliveryId);
    assert.equal(kept?.headers['x-gitlab-token'], undefined);
    assert.equal(kept?.headers['x-gitlab-event'], 'Push Hook');
    assert.ok(!JSON.stringify(kept).includes(GITLAB_TOKEN));
  });

  test('unverified requests keep nothing; filtered deliveries keep their payload', async () => {
    await store.db.query(`DELETE FROM deliveries WHERE webhook_id = (SELECT id FROM webhooks WHERE name = 'gh')`);
    assert.equal((await github(paths.github!, { action: 'x' }, { secret: 'wrong' })).status, 401);
    assert.equal((await github(paths.github!, { action: 'x' }, { bearer: 'wrong-bearer' })).status, 401);
    const ignored = await github(paths.github!, { action: 'ignored' });
    assert.equal(ignored.status, 202);
    assert.equal(ignored.body.ignored, true);
    // Refusals and filtered deliveries are written in batches after the answer.
    let rows: Awaited<ReturnType<typeof keptByOutcome>> = [];
    for (let i = 0; i < 50 && rows.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      rows = await keptByOutcome('gh');
    }
    assert.deepEqual(rows.map((r) => `${r.outcome} ${r.http_status} ${r.kept ? 'kept' : 'none'}`).sort(), [
      'ignored 202 kept',
      'rejected 401 none',
      'rejected 401 none',
    ]);
    const stored = await store.db.query(
      `SELECT 1 FROM delivery_bodies b JOIN deliveries d ON d.id = b.delivery_id WHERE d.outcome = 'rejected'`,
    );
    assert.equal(stored.rowCount, 0, 'no body of an unverified request is stored');
  });

  test('spec.retention.payloads: 0 keeps nothing', async () => {
    const res = await github(paths.none!, { action: 'opened' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(await storedRow(res.body.deliveryId), undefined);
    const detail = await ingress.api('GET', `/v1/deliveries/${res.body.deliveryId}`);
    assert.equal(detail.body.payloadKept, false);
    assert.equal(detail.body.body, undefined);
  });

  test('GET /v1/deliveries/{id} shows the body parsed, the kept headers and the run with its Temporal UI link', async () => {
    const res = await github(paths.github!, { action: 'opened', pull: { number: 7 } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const detail = await ingress.api('GET', `/v1/deliveries/${res.body.deliveryId}`);
    assert.equal(detail.status, 200, JSON.stringify(detail.body));
    assert.equal(detail.body.payloadKept, true);
    assert.equal(detail.body.bodyEncoding, 'json');
    assert.deepEqual(detail.body.body, { action: 'opened', pull: { number: 7 } });
    assert.equal(detail.body.contentType, 'application/json');
    assert.equal(detail.body.headers['x-github-event'], 'push');
    assert.equal(detail.body.headers.authorization, undefined);
    assert.equal(detail.body.replayOf, null);
    assert.deepEqual(detail.body.run, {
      namespace: 'default',
      workflowId: res.body.workflowId,
      runId: res.body.runId,
      url: `http://temporal-ui.example:8233/namespaces/default/workflows/${encodeURIComponent(res.body.workflowId)}/${res.body.runId}`,
    });
    assert.ok(!JSON.stringify(detail.body).includes(BEARER));
  });

  test('the retention job purges payloads past spec.retention.payloads and keeps the delivery log', async () => {
    const res = await github(paths.github!, { action: 'opened', old: true });
    assert.equal(res.status, 202);
    await store.db.query(`UPDATE delivery_bodies SET received_at = now() - interval '8 days' WHERE delivery_id = $1`, [
      res.body.deliveryId,
    ]);
    const kept = await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM delivery_bodies');
    const result = await purgeRetained({ store, logger: silentLogger });
    assert.equal(result.payloads, 1);
    assert.equal(await storedRow(res.body.deliveryId), undefined);
    const left = await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM delivery_bodies');
    assert.equal(left.rows[0]!.n, kept.rows[0]!.n - 1);
    assert.ok(await store.deliveries.get(res.body.deliveryId), 'the delivery row stays (30 days)');
    const detail = await ingress.api('GET', `/v1/deliveries/${res.body.deliveryId}`);
    assert.equal(detail.body.payloadKept, false);
  });
});
