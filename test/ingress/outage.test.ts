/**
 * Nothing acknowledged that is not stored: when Temporal or the store is down the ingress
 * answers 503 with Retry-After and releases its reservation, so the provider's retry succeeds.
 * These tests stop and restart real servers of their own (not the shared one).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createLogger } from '../../src/logger';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres';
import { createStore } from '../../src/store';
import { resolveTemporalCli } from '../../src/temporal/cli-binary';
import { connectTemporal } from '../../src/temporal/connection';
import { startDevServer } from '../../src/temporal/dev-server';
import { createTestStore } from '../support/db';
import { applyGenericWebhook, genericDeliveryHeaders, startTestIngress, type TestIngress } from '../support/ingress';
import { freePort } from '../support/ports';
import { getTestTemporal } from '../support/temporal';

const SECRET = 'outage-secret';

const signed = (body: string, eventId: string) => genericDeliveryHeaders(body, eventId, { secret: SECRET });

/** The outage webhook: a generic-profile start whose runs no worker takes (a 202 is Temporal's acceptance). */
const applyOutageWebhook = (ingress: TestIngress) =>
  applyGenericWebhook(ingress, 'outage', { secretName: 's', secret: SECRET, taskQueue: 'outage-no-worker' });

describe('outages', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  });

  /** A dev server of the test's own (the shared one is never stopped), its database in a temp dir. */
  async function ownDevServer(prefix: string) {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const cli = await resolveTemporalCli();
    const port = await freePort();
    const serverOptions = { cliPath: cli.path, port, headless: true, dbFilename: path.join(dir, 'temporal.db') };
    let server = await startDevServer(serverOptions);
    cleanups.push(() => server.stop());
    const temporal = await connectTemporal({ address: server.address, namespace: 'default' });
    cleanups.push(() => temporal.connection.close());
    return {
      temporal,
      stop: () => server.stop(),
      restart: async () => {
        server = await startDevServer(serverOptions);
      },
    };
  }

  test('Temporal stopped → 503 with Retry-After; after a restart the same delivery is accepted once', async () => {
    const { temporal, stop, restart } = await ownDevServer('tempohook-outage-');
    const store = await createTestStore();
    cleanups.push(async () => {
      await store.dropSchema();
      await store.close();
    });
    const ingress = await startTestIngress(store, temporal.client, { temporalTimeoutMs: 2000, retryAfterSeconds: 7 });
    cleanups.push(() => ingress.close());
    const endpoint = await applyOutageWebhook(ingress);

    await stop();
    const eventId = `evt-${randomUUID()}`;
    const body = JSON.stringify({ hello: 'outage' });
    const down = await ingress.deliver(endpoint, body, signed(body, eventId));
    assert.equal(down.status, 503);
    assert.equal(down.headers.get('retry-after'), '7');
    assert.equal(down.body.error.code, 'temporal_unavailable');
    const ready = await fetch(ingress.url + '/readyz');
    assert.equal(ready.status, 503);

    await restart();
    const retried = await ingress.deliver(endpoint, body, signed(body, eventId));
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.equal(retried.body.duplicate, false);
    const again = await ingress.deliver(endpoint, body, signed(body, eventId));
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.runId, retried.body.runId);

    const history = await ingress.api('GET', '/v1/webhooks/outage/deliveries');
    assert.deepEqual(
      history.body.items.map((d: any) => [d.outcome, d.httpStatus]),
      [
        ['duplicate', 202],
        ['started', 202],
        ['failed', 503],
      ],
    );
  });

  test('Temporal stopped: after consecutive unavailable answers the circuit opens, 503 at once with one probe at a time, and closes when Temporal answers', async () => {
    const { temporal, stop, restart } = await ownDevServer('tempohook-circuit-');
    const store = await createTestStore();
    cleanups.push(() => store.dropSchema());
    const lines: Array<{ msg: string; error?: string }> = [];
    const logger = createLogger({
      level: 'warn',
      write: (line) => lines.push(JSON.parse(line) as { msg: string; error?: string }),
    });
    const ingress = await startTestIngress(store, temporal.client, {
      temporalTimeoutMs: 1500,
      retryAfterSeconds: 3,
      temporalCircuitThreshold: 2,
      logger,
    });
    cleanups.push(() => ingress.close());
    const endpoint = await applyOutageWebhook(ingress);
    const send = async (eventId: string) => {
      const body = JSON.stringify({ eventId });
      const started = Date.now();
      const answer = await ingress.deliver(endpoint, body, signed(body, eventId));
      return { ...answer, ms: Date.now() - started };
    };

    await stop();
    // Two unavailable answers, each after a real wait, which the log line states.
    for (const i of [1, 2]) {
      const down = await send(`down-${i}`);
      assert.equal(down.status, 503);
      assert.equal(down.body.error.code, 'temporal_unavailable');
    }
    const waited = lines
      .map((line) => line.error ?? '')
      .map((error) => Number(/the start waited (\d+) ms/.exec(error)?.[1]))
      .filter((ms) => !Number.isNaN(ms));
    assert.equal(waited.length, 2, JSON.stringify(lines));
    assert.ok(
      waited.every((ms) => ms >= 1000),
      `waited ${waited.join(', ')} ms`,
    );

    // Open: one probe goes to Temporal (and waits); everything else is 503 + Retry-After at once.
    const probe = send('probe');
    await new Promise((r) => setTimeout(r, 200));
    const fast = [];
    for (let i = 0; i < 5; i++) fast.push(await send(`fast-${i}`));
    for (const answer of fast) {
      assert.equal(answer.status, 503);
      assert.equal(answer.headers.get('retry-after'), '3');
      assert.equal(answer.body.error.code, 'temporal_unavailable');
    }
    // The target is 50 ms; a loaded test machine gets some slack, still far below the 1.5 s timeout.
    assert.ok(
      fast.every((answer) => answer.ms < 500),
      `answered in ${fast.map((a) => a.ms).join(', ')} ms`,
    );
    assert.equal((await probe).status, 503);
    assert.ok((await probe).ms >= 1000);
    assert.match(String(lines.at(-1)?.error), /circuit open|the start waited/);
    assert.ok(lines.some((line) => /not sent: Temporal gave 2 unavailable answers in a row/.test(String(line.error))));

    // Keys were freed: each refused event is accepted once Temporal is back; the first answer closes the circuit.
    await restart();
    let retried = await send('fast-0');
    // The probe that finds Temporal back may be preceded by one still failing while it reconnects.
    for (let i = 0; retried.status === 503 && i < 20; i++) {
      await new Promise((r) => setTimeout(r, 250));
      retried = await send('fast-0');
    }
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    for (const eventId of ['fast-1', 'fast-2', 'down-1']) {
      const accepted = await send(eventId);
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      assert.equal(accepted.body.duplicate, false);
    }
  });

  test('store stopped → 503 with Retry-After; after a restart the delivery is accepted', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tempohook-pglite-outage-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    let embedded = await startEmbeddedPostgres({ dataDir: dir, port });
    cleanups.push(() => embedded.stop());
    const store = await createStore({ databaseUrl: embedded.url });
    cleanups.push(() => store.close());
    const temporal = await getTestTemporal();
    const ingress = await startTestIngress(store, temporal.client);
    cleanups.push(() => ingress.close());
    const endpoint = await applyOutageWebhook(ingress);

    await embedded.stop();
    const eventId = `evt-${randomUUID()}`;
    const body = JSON.stringify({ hello: 'store outage' });
    const down = await ingress.deliver(endpoint, body, signed(body, eventId));
    assert.equal(down.status, 503);
    assert.ok(down.headers.get('retry-after'));
    assert.equal(down.body.error.code, 'store_unavailable');

    embedded = await startEmbeddedPostgres({ dataDir: dir, port });
    let retried = await ingress.deliver(endpoint, body, signed(body, eventId));
    // The pool may hand out one broken connection before it notices the restart.
    if (retried.status === 503) retried = await ingress.deliver(endpoint, body, signed(body, eventId));
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.equal(retried.body.duplicate, false);
  });
});
