/**
 * API tokens and access to the management API, over real HTTP on PostgreSQL: every role against
 * every route of the route table (so a new route cannot be forgotten), namespace isolation,
 * revoked and expired tokens refused at once by two ingress replicas on one database, token
 * values never stored nor logged, and the audit log.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@temporalio/client';
import { createApp } from '../../src/ingress/app';
import { ROUTE_RULES, roleAllows, type Role, type RouteRule } from '../../src/ingress/access-policy';
import { createLogger, type Logger } from '../../src/logger';
import { createStore, type Store } from '../../src/store';
import { createTestStore, DATABASE_URL, type TestStore } from '../support/db';
import {
  genericDeliveryHeaders,
  secretBody,
  startTestIngress,
  TEST_ADMIN_TOKEN,
  webhookBody,
  type TestIngress,
} from '../support/ingress';
import { getTestTemporal } from '../support/temporal';

/** Rules of routes another change is adding: classified before they are mounted (none now). */
const ANNOUNCED_ROUTES = new Set<string>();

/** Routes served before the API's gate, public by design (deliveries are verified instead). */
const PUBLIC_ROUTES = new Set(['POST /v1/webhook-deliveries/:endpointId', 'ALL /v1/webhook-deliveries/:endpointId']);

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `METHOD /path` an Express app has mounted, nested routers included. */
function mountedRoutes(app: ReturnType<typeof createApp>): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route)
        for (const method of Object.keys(layer.route.methods))
          found.push(`${method === '_all' ? 'ALL' : method.toUpperCase()} ${layer.route.path}`);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}

/** A rule's path with its parameters filled in with names nothing has. */
const concrete = (rule: RouteRule) => rule.path.replace(/:([A-Za-z]+)/g, (_m, param: string) => `no-such-${param}`);

/** A logger that keeps every line it writes. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ write: (line) => void lines.push(line), level: 'debug' }), lines };
}

describe('API tokens and access', () => {
  let store: TestStore;
  let client: Client;
  let ingress: TestIngress;
  const logs = capturingLogger();
  /** Token values by name, as created in before(). */
  const tokens: Record<string, string> = {};

  async function call(token: string, method: string, path: string, body?: unknown, url = ingress.url) {
    const res = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  }

  async function createToken(name: string, role: Role, namespaces: string[], extra: Record<string, unknown> = {}) {
    const created = await call(TEST_ADMIN_TOKEN, 'POST', '/v1/tokens', { name, role, namespaces, ...extra });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    tokens[name] = created.body.token;
    return created.body as { token: string; name: string; prefix: string };
  }

  before(async () => {
    store = await createTestStore();
    client = (await getTestTemporal()).client;
    ingress = await startTestIngress(store, client, { logger: logs.logger });
    for (const role of ['read', 'operate', 'admin'] as const) await createToken(`all-${role}`, role, ['*']);
    for (const role of ['read', 'operate', 'admin'] as const) await createToken(`team-a-${role}`, role, ['team-a']);
    for (const namespace of ['team-a', 'team-b']) {
      const secret = await ingress.api(
        'PUT',
        `/v1/secrets/hook-secret?namespace=${namespace}`,
        secretBody({ value: 'x' }),
      );
      assert.equal(secret.status, 201);
      const hook = await ingress.api(
        'PUT',
        `/v1/webhooks/orders?namespace=${namespace}`,
        webhookBody({
          profile: 'generic',
          secretRef: { name: 'hook-secret', key: 'value' },
          start: { workflowType: 'weeklyReport', taskQueue: 'access-test' },
        }),
      );
      assert.equal(hook.status, 201);
    }
  });
  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  test('every mounted /v1 route is in the route table, and every rule names a mounted or announced route', () => {
    const app = createApp({
      store,
      client,
      logger: createLogger({ write: () => undefined }),
      adminToken: 'x'.repeat(20),
    });
    const table = new Set(ROUTE_RULES.map((r) => `${r.method} ${r.path}`));
    const mounted = mountedRoutes(app).filter((r) => r.split(' ')[1]!.startsWith('/v1'));
    assert.ok(mounted.length >= 20, `found ${mounted.length} routes`);
    const missing = mounted.filter((r) => !table.has(r) && !PUBLIC_ROUTES.has(r));
    assert.deepEqual(missing, [], 'mounted /v1 routes missing from ROUTE_RULES (src/ingress/access-policy.ts)');
    assert.equal(table.size, ROUTE_RULES.length, 'a route appears twice in ROUTE_RULES');
    const stale = [...table].filter((r) => !mounted.includes(r) && !ANNOUNCED_ROUTES.has(r));
    assert.deepEqual(stale, [], 'ROUTE_RULES names routes nothing mounts');
  });

  test('each role × each route: allowed, or 403', async () => {
    for (const rule of ROUTE_RULES) {
      const path = `${concrete(rule)}?namespace=team-a`;
      const body = rule.method === 'PUT' || rule.method === 'POST' ? {} : undefined;
      for (const role of ['read', 'operate', 'admin'] as const) {
        for (const holder of [`all-${role}`, `team-a-${role}`]) {
          const { status, body: answer } = await call(tokens[holder]!, rule.method, path, body);
          const allowed = roleAllows(role, rule.role) && (rule.namespace !== 'all' || holder.startsWith('all-'));
          const where = `${holder} ${rule.method} ${path} → ${status} ${JSON.stringify(answer)}`;
          if (allowed) assert.ok(status !== 401 && status !== 403, where);
          else {
            assert.equal(status, 403, where);
            assert.equal(answer.error.code, 'forbidden', where);
          }
        }
      }
      const root = await call(TEST_ADMIN_TOKEN, rule.method, path, body);
      assert.ok(root.status !== 401 && root.status !== 403, `admin ${rule.method} ${path} → ${root.status}`);
    }
  });

  test('a route missing from the table needs an all-namespace admin', async () => {
    for (const holder of ['all-read', 'all-operate', 'team-a-admin']) {
      const { status } = await call(tokens[holder]!, 'GET', '/v1/not-a-route');
      assert.equal(status, 403, holder);
    }
    assert.equal((await call(tokens['all-admin']!, 'GET', '/v1/not-a-route')).status, 404);
    // Express matches case-insensitively: so does the table.
    assert.equal((await call(tokens['team-a-read']!, 'GET', '/v1/Webhooks?namespace=team-a')).status, 200);
    assert.equal((await call(tokens['team-a-read']!, 'DELETE', '/v1/WEBHOOKS/orders/?namespace=team-a')).status, 403);
  });

  test('a token of namespace A sees nothing of namespace B', async () => {
    const reader = tokens['team-a-read']!;
    const admin = tokens['team-a-admin']!;
    for (const kind of ['webhooks', 'secrets']) {
      const all = await call(reader, 'GET', `/v1/${kind}`);
      assert.equal(all.status, 200);
      assert.deepEqual(
        all.body.items.map((i: { metadata: { namespace: string } }) => i.metadata.namespace),
        ['team-a'],
        kind,
      );
      assert.deepEqual((await call(reader, 'GET', `/v1/${kind}?namespace=team-b`)).body, { items: [] });
    }
    assert.equal((await call(tokens['all-read']!, 'GET', '/v1/webhooks')).body.items.length, 2);

    assert.equal((await call(reader, 'GET', '/v1/webhooks/orders?namespace=team-a')).status, 200);
    for (const path of [
      '/v1/webhooks/orders?namespace=team-b',
      '/v1/webhooks/no-such-hook?namespace=team-b',
      '/v1/webhooks/orders/deliveries?namespace=team-b',
      '/v1/webhooks/orders/waits?namespace=team-b',
      '/v1/secrets/hook-secret?namespace=team-b',
      '/v1/subscriptions/x/deliveries?namespace=team-b',
      '/v1/webhooks/orders', // the default namespace is not team-a's either
    ]) {
      const answer = await call(admin, 'GET', path);
      assert.equal(answer.status, 404, path);
      assert.equal(answer.body.error.code, 'not_found');
    }

    // Writes: 403, and nothing changes.
    const put = await call(
      admin,
      'PUT',
      '/v1/webhooks/orders?namespace=team-b',
      webhookBody({ profile: 'generic', secretRef: { name: 'hook-secret', key: 'value' } }),
    );
    assert.equal(put.status, 403);
    const inBody = await call(admin, 'PUT', '/v1/secrets/planted', {
      ...secretBody({ value: 'y' }),
      metadata: { namespace: 'team-b' },
    });
    assert.equal(inBody.status, 403);
    assert.equal((await call(admin, 'DELETE', '/v1/webhooks/orders?namespace=team-b')).status, 403);
    assert.equal(
      (await call(tokens['team-a-operate']!, 'POST', '/v1/subscriptions/x/enable?namespace=team-b')).status,
      403,
    );
    assert.equal(await store.secrets.get('team-b', 'planted'), null);
    assert.ok(await store.webhooks.get('team-b', 'orders'));
    // In its own namespace the same admin token applies and deletes.
    const own = await call(admin, 'PUT', '/v1/secrets/own?namespace=team-a', secretBody({ value: 'z' }));
    assert.equal(own.status, 201);
    assert.equal((await call(admin, 'DELETE', '/v1/secrets/own?namespace=team-a')).status, 200);
  });

  test("a delivery of namespace B is not found with A's token", async () => {
    const hookB = (await store.webhooks.get('team-b', 'orders'))!;
    const reserved = await store.deliveries.reserve({
      webhookId: hookB.id,
      eventId: 'evt-b-1',
      sourceEvent: null,
      receivedAt: new Date(),
      windowSeconds: 60,
    });
    const id = reserved.delivery.id;
    assert.equal((await call(tokens['all-read']!, 'GET', `/v1/deliveries/${id}?namespace=team-b`)).status, 200);
    for (const namespace of ['team-a', 'team-b'])
      assert.equal(
        (await call(tokens['team-a-read']!, 'GET', `/v1/deliveries/${id}?namespace=${namespace}`)).status,
        404,
      );
    assert.equal(
      (await call(tokens['team-a-operate']!, 'POST', `/v1/deliveries/${id}/replay?namespace=team-b`)).status,
      403,
    );
  });

  test('whoami says who a token is', async () => {
    assert.deepEqual((await call(TEST_ADMIN_TOKEN, 'GET', '/v1/whoami')).body, {
      name: 'admin',
      role: 'admin',
      namespaces: ['*'],
      expiresAt: null,
    });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await createToken('console-user', 'read', ['team-b', 'team-a'], { expiresAt });
    assert.deepEqual((await call(tokens['console-user']!, 'GET', '/v1/whoami')).body, {
      name: 'console-user',
      role: 'read',
      namespaces: ['team-a', 'team-b'],
      expiresAt,
    });
  });

  test('tokens are listed without their value, and creation is checked', async () => {
    const list = await call(TEST_ADMIN_TOKEN, 'GET', '/v1/tokens');
    assert.equal(list.status, 200);
    const reader = list.body.items.find((t: { name: string }) => t.name === 'team-a-read');
    assert.deepEqual(Object.keys(reader).sort(), [
      'createdAt',
      'createdBy',
      'expired',
      'expiresAt',
      'name',
      'namespaces',
      'prefix',
      'role',
    ]);
    assert.equal(reader.prefix, tokens['team-a-read']!.slice(0, 10));
    assert.match(tokens['team-a-read']!, /^thk_[A-Za-z0-9_-]{43}$/);
    for (const value of Object.values(tokens)) assert.ok(!JSON.stringify(list.body).includes(value));

    const refused = async (body: Record<string, unknown>, status = 400) => {
      const answer = await call(TEST_ADMIN_TOKEN, 'POST', '/v1/tokens', body);
      assert.equal(answer.status, status, JSON.stringify(answer.body));
    };
    await refused({ name: 'admin', role: 'read', namespaces: ['*'] });
    await refused({ name: 'x', role: 'owner', namespaces: ['*'] });
    await refused({ name: 'x', role: 'read', namespaces: [] });
    await refused({ name: 'x', role: 'read', namespaces: ['*', 'team-a'] });
    await refused({ name: 'x', role: 'read', namespaces: ['Team A'] });
    await refused({ name: 'x', role: 'read', namespaces: ['*'], expiresAt: '2001-01-01T00:00:00Z' });
    await refused({ name: 'x', role: 'read', namespaces: ['*'], expiresIn: 'soon' });
    await refused({ name: 'team-a-read', role: 'read', namespaces: ['*'] }, 409);
    // Only an admin of every namespace manages tokens: a team's admin cannot mint a wider one.
    const minted = await call(tokens['team-a-admin']!, 'POST', '/v1/tokens', {
      name: 'wider',
      role: 'admin',
      namespaces: ['*'],
    });
    assert.equal(minted.status, 403);
    assert.equal((await call(tokens['all-admin']!, 'GET', '/v1/tokens/team-a-read')).status, 200);
  });

  test('a revoked or expired token is 401 at once on every replica', async () => {
    // A second ingress on the same database (another replica).
    const other: Store = await createStore({
      databaseUrl: DATABASE_URL,
      schema: store.schema,
      logger: createLogger({ write: () => undefined }),
    });
    const replica = await startTestIngress(other, client);
    try {
      const revoked = await createToken('to-revoke', 'read', ['*']);
      const expiring = await createToken('to-expire', 'read', ['*'], { expiresIn: '2s' });
      for (const url of [ingress.url, replica.url])
        for (const token of [revoked.token, expiring.token])
          assert.equal((await call(token, 'GET', '/v1/whoami', undefined, url)).status, 200);

      assert.equal((await call(TEST_ADMIN_TOKEN, 'DELETE', '/v1/tokens/to-revoke')).status, 200);
      for (const url of [replica.url, ingress.url]) {
        const answer = await call(revoked.token, 'GET', '/v1/webhooks', undefined, url);
        assert.equal(answer.status, 401);
        assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="tempohook"');
      }
      // Revoked on the replica this time, refused on the first ingress next.
      const second = await createToken('to-revoke-2', 'operate', ['*']);
      assert.equal((await call(second.token, 'GET', '/v1/whoami')).status, 200);
      assert.equal(
        (await call(TEST_ADMIN_TOKEN, 'DELETE', '/v1/tokens/to-revoke-2', undefined, replica.url)).status,
        200,
      );
      assert.equal((await call(second.token, 'GET', '/v1/whoami')).status, 401);

      const expiresAt = new Date((await call(TEST_ADMIN_TOKEN, 'GET', '/v1/tokens/to-expire')).body.expiresAt);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now()) + 100));
      for (const url of [ingress.url, replica.url])
        assert.equal((await call(expiring.token, 'GET', '/v1/whoami', undefined, url)).status, 401);
      assert.equal((await call(TEST_ADMIN_TOKEN, 'GET', '/v1/tokens/to-expire')).body.expired, true);
    } finally {
      await replica.close();
      await other.close();
    }
  });

  test('a token value is stored only as its hash and never logged', async () => {
    const { token } = await createToken('hash-check', 'operate', ['team-a']);
    await call(token, 'PUT', '/v1/secrets/s?namespace=team-b', secretBody({ value: 'v' }));
    await call(`${token.slice(0, -1)}x`, 'GET', '/v1/webhooks');
    const rows = await store.db.query('SELECT * FROM api_tokens');
    const audit = await store.db.query('SELECT * FROM audit_log');
    const stored = JSON.stringify([rows.rows, audit.rows]);
    for (const value of Object.values(tokens)) {
      assert.ok(!stored.includes(value), 'a token value is in the database');
      assert.ok(!stored.includes(value.slice(4)), 'a token value is in the database');
    }
    const row = rows.rows.find((r: { name: string }) => r.name === 'hash-check');
    assert.equal(row.token_hash, createHash('sha256').update(token).digest('hex'));
    const logged = logs.lines.join('\n');
    assert.ok(logs.lines.length > 0);
    for (const value of Object.values(tokens)) assert.ok(!logged.includes(value.slice(4)), 'a token value was logged');
    assert.ok(!logged.includes(TEST_ADMIN_TOKEN));
  });

  test('changing calls are in the audit log with the token name; reads are not', async () => {
    const operator = tokens['team-a-operate']!;
    const since = new Date().toISOString();
    const enabled = await call(operator, 'POST', '/v1/subscriptions/none/enable?namespace=team-a');
    assert.equal(enabled.status, 404);
    const refused = await call(operator, 'DELETE', '/v1/webhooks/orders?namespace=team-a');
    assert.equal(refused.status, 403);
    await call(operator, 'GET', '/v1/webhooks?namespace=team-a');
    const created = await call(TEST_ADMIN_TOKEN, 'POST', '/v1/tokens', {
      name: 'audited',
      role: 'read',
      namespaces: ['team-a'],
    });
    assert.equal((await call(TEST_ADMIN_TOKEN, 'DELETE', '/v1/tokens/audited')).status, 200);

    // Written before the answer was sent: there at once.
    const mine = await call(TEST_ADMIN_TOKEN, 'GET', `/v1/audit?token=team-a-operate&since=${since}`);
    assert.equal(mine.status, 200);
    assert.deepEqual(
      mine.body.items.map((e: Record<string, unknown>) => [e.method, e.route, e.resource, e.namespace, e.status]),
      [
        ['DELETE', '/v1/webhooks/:name', 'webhooks/orders', 'team-a', 403],
        ['POST', '/v1/subscriptions/:name/enable', 'subscriptions/none', 'team-a', 404],
      ],
    );
    assert.equal(mine.body.items[1].requestId, enabled.headers.get('x-request-id'));
    assert.ok(mine.body.items.every((e: { token: string }) => e.token === 'team-a-operate'));

    const admin = await call(TEST_ADMIN_TOKEN, 'GET', `/v1/audit?token=admin&since=${since}&limit=1`);
    assert.equal(admin.body.items.length, 1);
    assert.deepEqual(
      [admin.body.items[0].method, admin.body.items[0].resource, admin.body.items[0].status],
      ['DELETE', 'tokens/audited', 200],
    );
    const next = await call(
      TEST_ADMIN_TOKEN,
      'GET',
      `/v1/audit?token=admin&since=${since}&limit=1&cursor=${admin.body.nextCursor}`,
    );
    assert.deepEqual(
      [next.body.items[0].method, next.body.items[0].resource, next.body.items[0].status],
      ['POST', 'tokens/audited', 201],
    );
    assert.ok(!JSON.stringify(next.body).includes(created.body.token));
    assert.equal((await call(TEST_ADMIN_TOKEN, 'GET', '/v1/audit?until=2000-01-01T00:00:00Z')).body.items.length, 0);
    assert.equal((await call(TEST_ADMIN_TOKEN, 'GET', '/v1/audit?who=x')).status, 400);
    assert.equal((await call(tokens['all-operate']!, 'GET', '/v1/audit')).status, 403);
  });

  test("a replay is an operator's call, in the token's namespace, and audited with its name", async () => {
    const hook = await ingress.api('GET', '/v1/webhooks/orders?namespace=team-a');
    const body = JSON.stringify({ order: 1 });
    const delivered = await ingress.deliver(
      hook.body.status.endpointPath as string,
      body,
      genericDeliveryHeaders(body, 'evt-replay-1', { secret: 'x' }),
    );
    assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
    const id = delivered.body.deliveryId as string;
    const path = `/v1/deliveries/${id}/replay?namespace=team-a`;
    assert.equal((await call(tokens['team-a-read']!, 'POST', path)).status, 403);
    const replayed = await call(tokens['team-a-operate']!, 'POST', path);
    assert.equal(replayed.status, 202, JSON.stringify(replayed.body));
    assert.equal(replayed.body.replayOf, id);
    assert.equal(replayed.body.duplicate, true);

    const audit = await call(TEST_ADMIN_TOKEN, 'GET', '/v1/audit?limit=2');
    assert.deepEqual(
      audit.body.items.map((e: Record<string, unknown>) => [e.token, e.route, e.resource, e.namespace, e.status]),
      [
        ['team-a-operate', '/v1/deliveries/:deliveryId/replay', `deliveries/${id}`, 'team-a', 202],
        ['team-a-read', '/v1/deliveries/:deliveryId/replay', `deliveries/${id}`, 'team-a', 403],
      ],
    );
  });
});
