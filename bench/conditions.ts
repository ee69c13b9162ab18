/**
 * Cost of `spec.conditions` per delivery, each beside the plain library call it wraps on the same
 * request (jose's jwtVerify, node's createHmac + timingSafeEqual), and the shared `rate-limit`
 * counter beside a bare `SELECT 1` round trip to the same database.
 * Run alone with `npx tsx bench/conditions.ts`, or call `runConditionsBench(store)`.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { conditionSpec, evaluateConditions, rateLimitWindows, type Condition } from '../src/conditions';
import { createStore } from '../src/store';
import type { Store } from '../src/store/types';
import type { InboundRequest } from '../src/verify';
import { microsPerCall } from './verify';

const SECRET = 'bench-condition-secret-0123456789abcdef';
const BODY = Buffer.from(JSON.stringify({ id: 'evt_bench', padding: 'x'.repeat(1000) }));

interface ConditionCase {
  name: string;
  condition: Condition;
  request: InboundRequest;
  baseline?: { label: string; call: () => unknown };
}

async function conditionCases(): Promise<ConditionCase[]> {
  const now = Math.floor(Date.now() / 1000);
  const secretBytes = new TextEncoder().encode(SECRET);
  const jwt = await new SignJWT({ sub: 'bench' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(now + 3600)
    .sign(secretBytes);
  const signature = createHmac('sha256', SECRET).update(`${now}.`).update(BODY).digest('hex');
  const request = (headers: Record<string, string>): InboundRequest => ({
    rawBody: BODY,
    headers: { 'content-type': 'application/json', ...headers },
    url: 'https://hooks.example.com/x',
    receivedAt: new Date(),
  });
  const parse = (c: unknown) => conditionSpec.parse(c);
  return [
    {
      name: 'static-token',
      condition: parse({
        type: 'static-token',
        lookup: { in: 'header', name: 'X-Token' },
        secretRef: { name: 's', key: 'k' },
      }),
      request: request({ 'x-token': SECRET }),
    },
    {
      name: 'hmac {header}.{body}',
      condition: parse({
        type: 'hmac',
        lookup: { in: 'header', name: 'X-Signature' },
        algorithm: 'sha256',
        encoding: 'hex',
        basestring: '{header:X-Timestamp}.{body}',
        secretRef: { name: 's', key: 'k' },
      }),
      request: request({ 'x-signature': signature, 'x-timestamp': String(now) }),
      baseline: {
        label: 'node createHmac + timingSafeEqual',
        call: () =>
          timingSafeEqual(
            Buffer.from(createHmac('sha256', SECRET).update(`${now}.`).update(BODY).digest('hex')),
            Buffer.from(signature),
          ),
      },
    },
    {
      name: 'jwt HS256',
      condition: parse({ type: 'jwt', algorithms: ['HS256'], secretRef: { name: 's', key: 'k' } }),
      request: request({ authorization: `Bearer ${jwt}` }),
      baseline: { label: 'jose jwtVerify', call: () => jwtVerify(jwt, secretBytes, { algorithms: ['HS256'] }) },
    },
    {
      name: 'headers',
      condition: parse({ type: 'headers', headers: { 'X-Tenant': 'acme' } }),
      request: request({ 'x-tenant': 'acme' }),
    },
    {
      name: 'timestamp',
      condition: parse({ type: 'timestamp', lookup: { in: 'header', name: 'X-Timestamp' }, toleranceSeconds: 300 }),
      request: request({ 'x-timestamp': String(now) }),
    },
  ];
}

/** Prints µs per delivery for each condition and for the rate-limit counter; `store` is a migrated store to count in. */
export async function runConditionsBench(store: Store): Promise<void> {
  const fmt = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
  console.log('condition               ours µs   baseline µs   ours/baseline   baseline');
  for (const c of await conditionCases()) {
    const ctx = {
      inbound: c.request,
      payload: JSON.parse(c.request.rawBody.toString()),
      secrets: [[SECRET]],
      now: new Date(),
    };
    const ours = () => evaluateConditions([c.condition], ctx);
    const check = await ours();
    if (!check.ok) throw new Error(`bench request fails condition ${c.name}: ${check.reason}`);
    const oursMicros = await microsPerCall(ours);
    const baselineMicros = c.baseline ? await microsPerCall(c.baseline.call) : undefined;
    console.log(
      `${c.name.padEnd(22)} ${fmt(oursMicros).padStart(8)} ${(baselineMicros === undefined ? '—' : fmt(baselineMicros)).padStart(13)} ${(baselineMicros === undefined ? '—' : (oursMicros / baselineMicros).toFixed(2)).padStart(15)}   ${c.baseline?.label ?? ''}`,
    );
  }

  // The rate limit is one INSERT … ON CONFLICT per delivery: compare it with the cheapest round trip.
  const { webhook } = await store.webhooks.apply('default', `bench-rate-${randomUUID().slice(0, 8)}`, {
    profile: 'generic',
  });
  const windows = rateLimitWindows([
    conditionSpec.parse({
      type: 'rate-limit',
      limits: [
        { period: '1s', quota: 1e9 },
        { period: '1h', quota: 1e9 },
      ],
    }),
  ]);
  const counted = await microsPerCall(() => store.rateLimits.hit(webhook.id, windows), 7, 200);
  const roundTrip = await microsPerCall(() => store.db.query('SELECT 1'), 7, 200);
  console.log(
    `${'rate-limit (2 windows)'.padEnd(22)} ${fmt(counted).padStart(8)} ${fmt(roundTrip).padStart(13)} ${(counted / roundTrip).toFixed(2).padStart(15)}   SELECT 1 round trip`,
  );
}

if (require.main === module) {
  void (async () => {
    const schema = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const store = await createStore({
      databaseUrl: process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test',
      schema,
    });
    try {
      await runConditionsBench(store);
    } finally {
      await store.db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await store.close();
    }
  })().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
