/**
 * The ingress embedded in a user's own server: `createTempohookHandler` as a `node:http`
 * listener and `createTempohookRouter` inside an Express app, over real HTTP, with the real
 * Temporal dev server and PostgreSQL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { createTempohookHandler, createTempohookRouter, type TempohookRouter } from '../../src';
import { silentLogger } from '../../src/logger';
import { createTestStore, type TestStore } from '../support/db';
import { genericDeliveryHeaders, secretBody, TEST_ADMIN_TOKEN, webhookBody } from '../support/ingress';
import { freePort } from '../support/ports';
import { getTestTemporal, startExampleTestWorker, uniqueTaskQueue } from '../support/temporal';

const SECRET = 'embedded-router-secret';

async function serve(listener: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('createTempohookRouter / createTempohookHandler', () => {
  let store: TestStore;
  let worker: { stop(): Promise<void> };
  const taskQueue = uniqueTaskQueue('embedded');
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    store = await createTestStore();
    worker = await startExampleTestWorker(taskQueue);
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
    await worker.stop();
    await store.dropSchema();
  });

  test('as a node:http listener: management API behind the admin token, a signed delivery starts a run, other paths 404', async () => {
    const { client } = await getTestTemporal();
    const handler = createTempohookHandler({ client, store, adminToken: TEST_ADMIN_TOKEN, logger: silentLogger });
    const server = await serve(handler);
    closers.push(
      () => server.close(),
      () => handler.close(),
    );
    const api = (method: string, path: string, body: unknown) =>
      fetch(server.url + path, {
        method,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await api('PUT', '/v1/secrets/s', secretBody({ value: SECRET }))).status, 201);
    const created = await api(
      'PUT',
      '/v1/webhooks/reports',
      webhookBody({
        profile: 'generic',
        secretRef: { name: 's', key: 'value' },
        start: { workflowType: 'weeklyReport', taskQueue },
      }),
    );
    const { status } = (await created.json()) as { status: { endpointPath: string } };

    const body = JSON.stringify({ requestedBy: 'node:http' });
    const delivered = await fetch(server.url + status.endpointPath, {
      method: 'POST',
      headers: genericDeliveryHeaders(body, 'evt-http-1', { secret: SECRET }),
      body,
    });
    const answer = (await delivered.json()) as { workflowId: string; duplicate: boolean };
    assert.equal(delivered.status, 202, JSON.stringify(answer));
    assert.equal(answer.duplicate, false);
    await client.workflow.getHandle(answer.workflowId).result();

    const unknown = await fetch(`${server.url}/elsewhere`);
    assert.equal(unknown.status, 404);
    assert.deepEqual(((await unknown.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  test('in Express: without an admin token only deliveries are served, and other paths reach the app', async () => {
    const { client } = await getTestTemporal();
    const hooks = createTempohookRouter({ client, store, logger: silentLogger, maintenance: false });
    const app = express();
    app.use('/hooks', hooks);
    app.use(express.json());
    app.post('/orders', (req, res) => {
      res.json({ got: req.body });
    });
    app.use((_req, res) => {
      res.status(418).json({ app: 'fallthrough' });
    });
    const server = await serve(app);
    closers.push(
      () => server.close(),
      () => hooks.close(),
    );

    assert.equal((await fetch(`${server.url}/hooks/healthz`)).status, 200);
    const management = await fetch(`${server.url}/hooks/v1/webhooks`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    assert.equal(management.status, 418, 'no management API without adminToken: the app answers');
    const own = await fetch(`${server.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"id":1}',
    });
    assert.deepEqual(await own.json(), { got: { id: 1 } });

    const webhook = await store.webhooks.list('default');
    const endpoint = webhook.find((w) => w.name === 'reports')!;
    const body = JSON.stringify({ requestedBy: 'express' });
    const delivered = await fetch(`${server.url}/hooks/v1/webhook-deliveries/${endpoint.endpointId}`, {
      method: 'POST',
      headers: genericDeliveryHeaders(body, 'evt-express-1', { secret: SECRET }),
      body,
    });
    assert.equal(delivered.status, 202, await delivered.text());
  });

  test('mounted after a body parser it refuses to guess the raw body', async () => {
    const { client } = await getTestTemporal();
    const hooks = createTempohookRouter({ client, store, logger: silentLogger, maintenance: false });
    const app = express();
    app.use(express.json());
    app.use('/hooks', hooks);
    const server = await serve(app);
    closers.push(
      () => server.close(),
      () => hooks.close(),
    );
    const res = await fetch(`${server.url}/hooks/v1/webhook-deliveries/anything`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 500);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'body_already_parsed');
  });

  test('with an unreachable databaseUrl it answers 503 + Retry-After, and needs a store or a URL', async () => {
    const { client } = await getTestTemporal();
    assert.throws(() => createTempohookRouter({ client }), /databaseUrl/);
    const handler: TempohookRouter = createTempohookHandler({
      client,
      databaseUrl: `postgres://root@127.0.0.1:${await freePort()}/none`,
      logger: silentLogger,
    });
    const server = await serve(handler);
    closers.push(
      () => server.close(),
      () => handler.close(),
    );
    const res = await fetch(`${server.url}/v1/webhook-deliveries/x`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
  });
});
