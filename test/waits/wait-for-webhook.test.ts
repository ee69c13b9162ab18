/**
 * waitForWebhook end to end: real workflows on the shared dev server wait on a signal-only
 * `github-push` webhook, and signed GitHub deliveries (signed by @octokit/webhooks-methods) to a
 * real ingress over HTTP resume them — once — with the waits table in PostgreSQL kept honest.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  Connection,
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { createExampleWorker } from '../../src/worker/example-worker';
import { sweepWaits } from '../../src/waits/sweeper';
import { claimMatchingWaits, logDeliveryPayload, SIGNALS_BEFORE_ANSWER } from '../../src/waits/signal-waits';
import { silentLogger } from '../../src/logger';
import {
  openWaitsQuery,
  WaitFailureType,
  waitingForSearchAttribute,
  type WebhookDelivery,
} from '../../src/workflows/definitions';
import type { WaitForWebhookResult } from '../../src/workflows';
import { createTestStore, type TestStore } from '../support/db';
import { spawnIngress } from '../support/ingress-process';
import { secretBody, startTestIngress, webhookBody, type TestIngress } from '../support/ingress';
import { getTestTemporal, uniqueTaskQueue, type TestTemporal } from '../support/temporal';
import type * as testWorkflows from '../support/workflows';

const SECRET = 'github-wait-secret';
const octokitSign = async (secret: string, payload: string): Promise<string> =>
  (await import('@octokit/webhooks-methods')).sign(secret, payload);

type Workflows = typeof testWorkflows;

describe('waitForWebhook', () => {
  let store: TestStore;
  let temporal: TestTemporal;
  let ingress: TestIngress;
  let worker: { worker: Worker; running: Promise<void> } | undefined;
  const taskQueue = uniqueTaskQueue('waits');
  let githubPath: string;

  async function startWorker() {
    const w = await createExampleWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowBundle: temporal.workflowBundle,
      store,
    });
    worker = { worker: w, running: w.run() };
  }
  async function stopWorker() {
    if (!worker) return;
    if (worker.worker.getState() === 'RUNNING') worker.worker.shutdown();
    await worker.running.catch(() => undefined);
    worker = undefined;
  }

  before(async () => {
    store = await createTestStore();
    temporal = await getTestTemporal();
    ingress = await startTestIngress(store, temporal.client);
    assert.equal((await ingress.api('PUT', '/v1/secrets/github', secretBody({ value: SECRET }))).status, 201);
    const res = await ingress.api(
      'PUT',
      '/v1/webhooks/github-push',
      webhookBody({ profile: 'github', secretRef: { name: 'github', key: 'value' }, signal: { enabled: true } }),
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    githubPath = res.body.status.endpointPath;
    await startWorker();
  });

  after(async () => {
    await stopWorker();
    await ingress?.close();
    await store?.dropSchema();
  });

  /** A signed GitHub push delivery; `deliveryGuid` is GitHub's event id (X-GitHub-Delivery). */
  async function push(
    payload: Record<string, unknown>,
    deliveryGuid: string = randomUUID(),
    target: TestIngress = ingress,
  ) {
    const body = JSON.stringify(payload);
    return target.deliver(githubPath, body, {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': deliveryGuid,
      'x-hub-signature-256': await octokitSign(SECRET, body),
    });
  }

  /** `deliver` of a TestIngress, against another ingress's URL. */
  const deliverTo =
    (url: string): TestIngress['deliver'] =>
    async (endpointPath, rawBody, headers) => {
      const res = await fetch(url + endpointPath, { method: 'POST', headers, body: rawBody });
      return { status: res.status, body: (await res.json()) as any, headers: res.headers };
    };

  const pushOf = (repo: string, extra: Record<string, unknown> = {}) => ({
    ref: 'refs/heads/main',
    repository: { full_name: repo },
    commits: [{ id: 'c1' }],
    ...extra,
  });

  async function start<K extends keyof Workflows>(
    workflow: K,
    ...args: Parameters<Workflows[K]>
  ): Promise<WorkflowHandleWithFirstExecutionRunId<Workflows[K]>> {
    return temporal.client.workflow.start<Workflows[K]>(workflow, {
      taskQueue,
      workflowId: `wait-${workflow}-${randomUUID()}`,
      args: args as any,
      workflowExecutionTimeout: '2 minutes',
    });
  }

  /** The waits rows of a workflow id, any state. */
  async function waitRows(workflowId: string): Promise<Array<{ id: string; state: string; run_id: string }>> {
    return (
      await store.db.query('SELECT id, state, run_id FROM waits WHERE workflow_id = $1 ORDER BY created_at', [
        workflowId,
      ])
    ).rows;
  }

  /** Polls until `workflowId` has `count` open waits registered in PostgreSQL. */
  async function registered(workflowId: string, count = 1): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const open = (await waitRows(workflowId)).filter((w) => w.state === 'open');
      if (open.length >= count) return;
      if (Date.now() > deadline) throw new Error(`${workflowId} registered ${open.length} of ${count} waits`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const repoMatch = (repo: string) => ({ '$.repository.full_name': repo });

  async function delivered(handle: WorkflowHandle<any>): Promise<Extract<WaitForWebhookResult, { timedOut: false }>> {
    const result = (await handle.result()) as WaitForWebhookResult;
    assert.equal(result.timedOut, false, JSON.stringify(result));
    return result;
  }

  async function failureOf(handle: WorkflowHandle<any>): Promise<ApplicationFailure> {
    const err = await handle.result().then(
      () => assert.fail('the workflow should have failed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
    return err.cause;
  }

  test('a matching signed delivery resumes the wait; a non-matching one does not', async () => {
    const repo = `acme/repo-${randomUUID()}`;
    const handle = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(repo), timeout: '1 minute' },
    });
    await registered(handle.workflowId);

    const other = await push(pushOf(`${repo}-other`));
    assert.equal(other.status, 202, JSON.stringify(other.body));
    assert.deepEqual(other.body.signaled, []);

    const guid = randomUUID();
    const matching = await push(pushOf(repo), guid);
    assert.equal(matching.status, 202, JSON.stringify(matching.body));
    assert.equal(matching.body.duplicate, false);
    const [rows] = [await waitRows(handle.workflowId)];
    assert.deepEqual(matching.body.signaled, [
      { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, waitId: rows[0]!.id },
    ]);

    const result = await delivered(handle);
    assert.equal(result.eventId, guid);
    assert.equal(result.deliveryId, matching.body.deliveryId);
    assert.equal(result.source, 'push');
    assert.equal((result.payload as any).repository.full_name, repo);
    assert.equal(result.headers['x-github-event'], 'push');
    assert.equal(result.headers['x-hub-signature-256'], undefined, 'signatures never reach workflows');
    assert.ok(!Number.isNaN(Date.parse(result.receivedAt)));
    assert.equal((await waitRows(handle.workflowId))[0]!.state, 'signaled');

    const history = await ingress.api('GET', '/v1/webhooks/github-push/deliveries?limit=5');
    assert.equal(history.body.items.find((d: any) => d.id === matching.body.deliveryId).outcome, 'signaled');
  });

  test('a wait times out with { timedOut: true } and its row is removed', async () => {
    const handle = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(`acme/none-${randomUUID()}`), timeout: '2 seconds' },
    });
    const result = await handle.result();
    assert.equal(result.timedOut, true);
    assert.equal((result as any).webhook, 'default/github-push');
    assert.deepEqual(await waitRows(handle.workflowId), []);
  });

  test('a delivery that claimed the wait just before the timeout still resolves it', async () => {
    const handle = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(`acme/edge-${randomUUID()}`), timeout: '3 seconds' },
    });
    await registered(handle.workflowId);
    const [row] = await waitRows(handle.workflowId);
    // As an ingress does between its claim and its signal.
    const deliveryId = randomUUID();
    await store.db.query(`UPDATE waits SET state = 'claimed', delivery_id = $2, claimed_at = now() WHERE id = $1`, [
      row!.id,
      deliveryId,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const delivery = {
      deliveryId,
      eventId: 'late',
      receivedAt: new Date().toISOString(),
      source: 'push',
      payload: { late: true },
      headers: {},
    };
    await handle.signal('tempohook.webhook', { waitId: row!.id, delivery });
    const result = await delivered(handle);
    assert.equal(result.deliveryId, deliveryId);
  });

  test('since: "workflowStart" finds a delivery that arrived before the wait was registered; the default does not', async () => {
    const repo = `acme/early-${randomUUID()}`;
    const late = await start('waitOnce', {
      webhook: 'github-push',
      sleepFirst: '2 seconds',
      options: { match: repoMatch(repo), since: 'workflowStart', timeout: '1 minute' },
    });
    const strict = await start('waitOnce', {
      webhook: 'github-push',
      sleepFirst: '2 seconds',
      options: { match: repoMatch(repo), timeout: '4 seconds' },
    });
    const early = await push(pushOf(repo));
    assert.equal(early.status, 202);
    assert.deepEqual(early.body.signaled, [], 'nothing was registered yet');

    const result = await delivered(late);
    assert.equal(result.deliveryId, early.body.deliveryId);
    assert.equal((await strict.result()).timedOut, true);
  });

  test('since as a duration reaches back into the payload log, and one workflow consumes an event once', async () => {
    const repo = `acme/recent-${randomUUID()}`;
    const early = await push(pushOf(repo));
    const handle = await start('waitForAll', [
      { webhook: 'github-push', options: { match: repoMatch(repo), since: '10 minutes', timeout: '1 minute' } },
    ]);
    const [first] = await handle.result();
    assert.equal(first!.timedOut, false);
    assert.equal((first as any).deliveryId, early.body.deliveryId);

    // The same workflow id waiting again with `since` does not get the event it already consumed.
    const again = await temporal.client.workflow.start('waitForAll', {
      taskQueue,
      workflowId: handle.workflowId,
      args: [
        [{ webhook: 'github-push', options: { match: repoMatch(repo), since: '10 minutes', timeout: '2 seconds' } }],
      ],
    });
    const [second] = (await again.result()) as WaitForWebhookResult[];
    assert.equal(second!.timedOut, true);
  });

  test('two workflows waiting on the same match both resume from one delivery', async () => {
    const repo = `acme/both-${randomUUID()}`;
    const a = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(repo), timeout: '1 minute' },
    });
    const b = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(repo), timeout: '1 minute' },
    });
    await registered(a.workflowId);
    await registered(b.workflowId);
    const res = await push(pushOf(repo));
    assert.equal(res.status, 202);
    assert.deepEqual(res.body.signaled.map((s: any) => s.workflowId).sort(), [a.workflowId, b.workflowId].sort());
    assert.equal((await delivered(a)).deliveryId, res.body.deliveryId);
    assert.equal((await delivered(b)).deliveryId, res.body.deliveryId);
  });

  test('a redelivered event resumes the wait once, even when 8 copies race', async () => {
    const repo = `acme/redeliver-${randomUUID()}`;
    const first = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(repo), timeout: '1 minute' },
    });
    await registered(first.workflowId);
    const [row] = await waitRows(first.workflowId);
    const guid = randomUUID();
    const answers = await Promise.all(Array.from({ length: 8 }, () => push(pushOf(repo), guid)));
    assert.ok(
      answers.every((a) => a.status === 202),
      JSON.stringify(answers.map((a) => a.body)),
    );
    // Copies still in flight take the claim over from each other and may each signal the same event;
    // the run takes the first and ignores the rest.
    const signaled = answers.flatMap((a) => a.body.signaled);
    assert.ok(
      signaled.length >= 1 && signaled.every((s) => s.waitId === row!.id),
      JSON.stringify(answers.map((a) => a.body)),
    );
    const result = await delivered(first);
    assert.equal(result.eventId, guid);
    assert.ok(
      answers.some((a) => a.body.deliveryId === result.deliveryId && a.body.signaled.length === 1),
      'the run took a delivery that signaled it',
    );
    assert.equal((await waitRows(first.workflowId))[0]!.state, 'signaled');

    // A wait registered after the event resumes on a new event, never on a redelivery of the old one.
    const second = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(repo), timeout: '3 seconds' },
    });
    await registered(second.workflowId);
    const again = await push(pushOf(repo), guid);
    assert.equal(again.status, 202);
    assert.equal(again.body.duplicate, true);
    assert.deepEqual(again.body.signaled, []);
    assert.equal((await second.result()).timedOut, true);
  });

  test("cancelling the workflow, or the wait's own scope, removes the wait", async () => {
    const handle = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(`acme/cancel-${randomUUID()}`) },
    });
    await registered(handle.workflowId);
    await handle.cancel();
    const err = await handle.result().catch((e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure, String(err));
    assert.deepEqual(await waitRows(handle.workflowId), []);

    const scoped = await start('waitThenCancelScope', {
      webhook: 'github-push',
      cancelAfter: '1 second',
      options: { match: repoMatch(`acme/scope-${randomUUID()}`) },
    });
    assert.equal(await scoped.result(), 'cancelled');
    assert.deepEqual(await waitRows(scoped.workflowId), []);
  });

  test('a terminated run is never signaled: the delivery marks its wait stale, and the sweeper finds the others', async () => {
    const repo = `acme/terminated-${randomUUID()}`;
    const handle = await start('waitOnce', { webhook: 'github-push', options: { match: repoMatch(repo) } });
    await registered(handle.workflowId);
    await handle.terminate('test');
    const res = await push(pushOf(repo));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body.signaled, []);
    assert.equal((await waitRows(handle.workflowId))[0]!.state, 'stale');
    assert.deepEqual((await push(pushOf(repo))).body.signaled, [], 'a stale wait is never claimed again');

    const quiet = await start('waitOnce', { webhook: 'github-push', options: { match: repoMatch(`${repo}-quiet`) } });
    const alive = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(`${repo}-alive`), timeout: '1 minute' },
    });
    await registered(quiet.workflowId);
    await registered(alive.workflowId);
    await quiet.terminate('test');
    const swept = await sweepWaits({
      store,
      client: temporal.client,
      logger: silentLogger,
      recheckAfterMs: 0,
      checkLimit: 1000,
    });
    assert.ok(swept.closedRuns >= 1);
    assert.equal((await waitRows(quiet.workflowId))[0]!.state, 'stale');
    assert.equal((await waitRows(alive.workflowId))[0]!.state, 'open');
    const list = await ingress.api('GET', '/v1/webhooks/github-push/waits?limit=200');
    assert.ok(!list.body.items.some((w: any) => w.workflowId === quiet.workflowId));
    await alive.terminate('done');
  });

  test('a worker restart while waiting loses nothing', async () => {
    const repo = `acme/restart-${randomUUID()}`;
    const handle = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(repo), timeout: '1 minute' },
    });
    await registered(handle.workflowId);
    await stopWorker();
    try {
      const res = await push(pushOf(repo));
      assert.equal(res.body.signaled.length, 1);
    } finally {
      await startWorker();
    }
    assert.equal((await delivered(handle)).payload && true, true);
  });

  test('an `if` expression over payload and vars decides among equal matches', async () => {
    const repo = `acme/if-${randomUUID()}`;
    const handle = await start('waitOnce', {
      webhook: 'github-push',
      options: {
        match: repoMatch(repo),
        if: 'payload.ref == "refs/heads/main" && size(payload.commits) >= vars.min',
        vars: { min: 2 },
        timeout: '1 minute',
      },
    });
    await registered(handle.workflowId);
    assert.deepEqual((await push(pushOf(repo))).body.signaled, [], 'one commit is not enough');
    assert.deepEqual(
      (await push(pushOf(repo, { ref: 'refs/heads/dev', commits: [{}, {}] }))).body.signaled,
      [],
      'wrong branch',
    );
    const ok = await push(pushOf(repo, { commits: [{ id: 'a' }, { id: 'b' }] }));
    assert.equal(ok.body.signaled.length, 1);
    assert.equal((await delivered(handle)).deliveryId, ok.body.deliveryId);
  });

  test('bad input fails the call at once with a non-retryable error naming the bad part', async () => {
    const cases: Array<[Parameters<Workflows['waitOnce']>[0], string, RegExp]> = [
      [
        { webhook: 'github-push', options: { match: { '$.commits[*].id': 'x' } } },
        WaitFailureType.invalidWait,
        /\$\.commits\[\*\]\.id/,
      ],
      [
        { webhook: 'github-push', options: { match: { 'repository.full_name': 'x' } } },
        WaitFailureType.invalidWait,
        /repository\.full_name/,
      ],
      [
        { webhook: 'github-push', options: { match: {}, if: 'payload.ref == ' } },
        WaitFailureType.invalidWait,
        /if expression/,
      ],
      [{ webhook: 'github-push', options: { match: {}, if: 'nope == 1' } }, WaitFailureType.invalidWait, /nope/],
      [{ webhook: 'no-such-hook', options: { match: {} } }, WaitFailureType.unknownWebhook, /no-such-hook/],
      [
        { webhook: 'github-push', options: { match: {}, timeout: 'soon' as any } },
        WaitFailureType.invalidWait,
        /timeout/,
      ],
    ];
    for (const [input, type, message] of cases) {
      const started = Date.now();
      const failure = await failureOf(await start('waitOnce', input));
      assert.equal(failure.type, type, failure.message);
      assert.match(failure.message, message);
      assert.equal(failure.nonRetryable, true);
      assert.ok(Date.now() - started < 10_000, 'no retries');
    }
  });

  test('while waiting, the run answers tempohook.waits, carries TempohookWaitingFor, and GET /waits lists the wait', async () => {
    const repo = `acme/visible-${randomUUID()}`;
    const handle = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(repo), timeout: '1 minute' },
    });
    await registered(handle.workflowId);
    const open = await handle.query(openWaitsQuery);
    assert.equal(open.length, 1);
    assert.equal(open[0]!.webhook, 'default/github-push');
    assert.deepEqual(open[0]!.match, repoMatch(repo));
    assert.ok(open[0]!.timeoutAt);
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(
      metadata.currentDetails ?? '',
      /Waiting for a webhook[\s\S]*default\/github-push[\s\S]*\$\.repository\.full_name/,
    );

    const deadline = Date.now() + 10_000;
    let attribute: unknown;
    while (Date.now() < deadline) {
      attribute = (await handle.describe()).typedSearchAttributes.get(waitingForSearchAttribute);
      if (attribute) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(attribute, ['default/github-push']);
    const listed = temporal.client.workflow.list({
      query: `TempohookWaitingFor = 'default/github-push' AND WorkflowId = '${handle.workflowId}'`,
    });
    const found: string[] = [];
    for await (const w of listed) found.push(w.workflowId);
    assert.deepEqual(found, [handle.workflowId]);

    const list = await ingress.api('GET', '/v1/webhooks/github-push/waits?limit=200');
    assert.equal(list.status, 200);
    const mine = list.body.items.find((w: any) => w.workflowId === handle.workflowId);
    assert.equal(mine.waitId, open[0]!.waitId);
    assert.equal(mine.runId, handle.firstExecutionRunId);
    assert.equal(mine.workflowType, 'waitOnce');
    assert.equal(mine.state, 'open');
    assert.deepEqual(mine.match, repoMatch(repo));
    assert.equal((await ingress.api('GET', '/v1/webhooks/nope/waits')).status, 404);

    await push(pushOf(repo));
    await delivered(handle);
    assert.equal((await handle.describe()).typedSearchAttributes.get(waitingForSearchAttribute), undefined);
  });

  test('another attempt of the event that resolved a wait is ignored: the wait keeps its first delivery', async () => {
    const repo = `acme/twice-${randomUUID()}`;
    const handle = await start('waitForAll', [
      { webhook: 'github-push', options: { match: repoMatch(`${repo}-a`), timeout: '1 minute' } },
      { webhook: 'github-push', options: { match: repoMatch(`${repo}-b`), timeout: '1 minute' } },
    ]);
    await registered(handle.workflowId, 2);
    const guid = randomUUID();
    const first = await push(pushOf(`${repo}-a`), guid);
    const [waitA] = first.body.signaled;
    assert.ok(waitA, JSON.stringify(first.body));
    const attempt = (deliveryId: string) => ({
      deliveryId,
      eventId: guid,
      receivedAt: new Date().toISOString(),
      source: 'push',
      payload: { attempt: deliveryId },
      headers: {},
    });
    // As a second ingress attempt of the same event would, while the run still waits on its other wait.
    await handle.signal('tempohook.webhook', { waitId: waitA.waitId, delivery: attempt(randomUUID()) });
    await handle.signal('tempohook.webhook', { waitId: waitA.waitId, delivery: attempt(first.body.deliveryId) });
    const second = await push(pushOf(`${repo}-b`));
    const [a, b] = await handle.result();
    assert.equal((a as any).deliveryId, first.body.deliveryId);
    assert.deepEqual((a as any).payload, pushOf(`${repo}-a`));
    assert.equal((b as any).deliveryId, second.body.deliveryId);
    await Worker.runReplayHistory(
      { workflowBundle: temporal.workflowBundle },
      await handle.fetchHistory(),
      handle.workflowId,
    );
  });

  test('a signal that does not fit the schema is logged and ignored, and the wait still resumes', async () => {
    const repo = `acme/junk-${randomUUID()}`;
    const handle = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(repo), timeout: '1 minute' },
    });
    await registered(handle.workflowId);
    await handle.signal('tempohook.webhook', { nonsense: true });
    await handle.signal('tempohook.webhook', 'a string');
    await handle.signal('tempohook.webhook', {
      waitId: randomUUID(),
      delivery: { deliveryId: 'x', eventId: 'x', receivedAt: 'x', source: 'x', headers: {} },
    });
    const res = await push(pushOf(repo));
    assert.equal((await delivered(handle)).deliveryId, res.body.deliveryId);
  });

  test('several waits at once, a Promise.race loser removed at close, a child workflow, and continue-as-new', async () => {
    const repo = `acme/many-${randomUUID()}`;
    const all = await start('waitForAll', [
      { webhook: 'github-push', options: { match: repoMatch(`${repo}-a`), timeout: '1 minute' } },
      {
        webhook: 'github-push',
        options: { match: { ...repoMatch(`${repo}-b`), 'headers.x-github-event': 'push' }, timeout: '1 minute' },
      },
    ]);
    const race = await start('waitForFirst', [
      { webhook: 'github-push', options: { match: repoMatch(`${repo}-a`), timeout: '1 minute' } },
      { webhook: 'github-push', options: { match: repoMatch(`${repo}-never`), timeout: '1 minute' } },
    ]);
    const child = await start('waitInChild', {
      webhook: 'github-push',
      options: { match: repoMatch(`${repo}-b`), timeout: '1 minute' },
    });
    await registered(all.workflowId, 2);
    await registered(race.workflowId, 2);
    await registered(`${child.workflowId}-child`);
    await push(pushOf(`${repo}-a`));
    await push(pushOf(`${repo}-b`));
    const results = await all.result();
    assert.deepEqual(
      results.map((r) => (r as any).payload.repository.full_name),
      [`${repo}-a`, `${repo}-b`],
    );
    assert.equal(((await race.result()) as any).payload.repository.full_name, `${repo}-a`);
    assert.equal(
      (await waitRows(race.workflowId)).filter((w) => w.state === 'open').length,
      0,
      'the loser is removed when the run closes',
    );
    assert.equal(((await child.result()) as any).payload.repository.full_name, `${repo}-b`);

    // The histories replay on today's code: waitForWebhook and the plugin's interceptor are deterministic.
    for (const handle of [all, race, child]) {
      await Worker.runReplayHistory(
        { workflowBundle: temporal.workflowBundle },
        await handle.fetchHistory(),
        handle.workflowId,
      );
    }

    const can = await start('waitAcrossContinueAsNew', {
      webhook: 'github-push',
      options: { match: repoMatch(`${repo}-can`), timeout: '1 minute' },
    });
    // Run 1's wait is removed when it continues as new; run 2 registers its own.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const rows = await waitRows(can.workflowId);
      if (rows.length === 1 && rows[0]!.run_id !== can.firstExecutionRunId && rows[0]!.state === 'open') break;
      if (Date.now() > deadline) throw new Error(`continue-as-new left waits ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await push(pushOf(`${repo}-can`));
    assert.equal(res.body.signaled.length, 1);
    const result = await temporal.client.workflow.getHandle(can.workflowId).result();
    assert.equal(result.generation, 1);
    assert.equal(result.deliveryId, res.body.deliveryId);
  });

  /** A loopback port nothing listens on: a Temporal that is down. */
  async function closedPort(): Promise<number> {
    return new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
  }

  /**
   * An ingress that died between its claim and its signal: the delivery of event `guid` reserved
   * its dedup key, logged its payload and claimed the matching waits, then signaled nothing.
   */
  async function crashAfterClaim(
    payload: Record<string, unknown>,
    guid: string,
  ): Promise<{ delivery: WebhookDelivery; claimed: string[] }> {
    const webhook = (await store.webhooks.get('default', 'github-push'))!;
    const receivedAt = new Date();
    const reserved = await store.deliveries.reserve({
      webhookId: webhook.id,
      eventId: guid,
      sourceEvent: 'push',
      receivedAt,
      windowSeconds: 3600,
    });
    assert.equal(reserved.reserved, true);
    const delivery = {
      deliveryId: reserved.delivery.id,
      eventId: guid,
      receivedAt: receivedAt.toISOString(),
      source: 'push',
      payload,
      headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
    };
    const input = {
      store,
      webhook: { id: webhook.id, name: 'github-push' },
      signal: { enabled: true },
      delivery,
      now: receivedAt,
      temporalNamespace: temporal.namespace,
    };
    await logDeliveryPayload(input);
    return { delivery, claimed: (await claimMatchingWaits(input)).map((w) => w.id) };
  }

  /** How many tempohook.webhook signals the run received. */
  async function signalsReceived(handle: WorkflowHandle<any>): Promise<number> {
    const history = await handle.fetchHistory();
    return (history.events ?? []).filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'tempohook.webhook',
    ).length;
  }

  test("an ingress that died after claiming: the provider's retry of the same event within the claim timeout resumes the wait once", async () => {
    const repo = `acme/crash-retry-${randomUUID()}`;
    const handle = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(repo), timeout: '1 minute' },
    });
    await registered(handle.workflowId);
    const guid = randomUUID();
    const crashed = await crashAfterClaim(pushOf(repo), guid);
    const [row] = await waitRows(handle.workflowId);
    assert.deepEqual(crashed.claimed, [row!.id]);

    // A different event never steals the live claim.
    const other = await push(pushOf(repo));
    assert.equal(other.status, 202, JSON.stringify(other.body));
    assert.deepEqual(other.body.signaled, []);

    const retry = await push(pushOf(repo), guid);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal(retry.body.duplicate, false);
    assert.equal(retry.body.originalDeliveryId, crashed.delivery.deliveryId);
    assert.deepEqual(retry.body.signaled, [
      { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, waitId: row!.id },
    ]);
    const result = await delivered(handle);
    assert.equal(result.eventId, guid);
    assert.equal(result.deliveryId, retry.body.deliveryId);
    assert.equal(await signalsReceived(handle), 1);
    assert.equal((await waitRows(handle.workflowId))[0]!.state, 'signaled');
    const again = await push(pushOf(repo), guid);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.deepEqual(again.body.signaled, [], 'a resolved wait is never claimed again');
  });

  test('an ingress that died after claiming: the sweeper re-signals old claims from the stored payload, and reopens those whose payload is gone', async () => {
    const repo = `acme/crash-sweep-${randomUUID()}`;
    const handle = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(repo), timeout: '1 minute' },
    });
    const orphan = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(`${repo}-orphan`), timeout: '1 minute' },
    });
    await registered(handle.workflowId);
    await registered(orphan.workflowId);
    const crashed = await crashAfterClaim(pushOf(repo), randomUUID());
    const lost = await crashAfterClaim(pushOf(`${repo}-orphan`), randomUUID());
    assert.equal(crashed.claimed.length, 1);
    assert.equal(lost.claimed.length, 1);
    // Two minutes on: past the claim timeout, and the orphan's payload is no longer stored.
    await store.db.query(`UPDATE waits SET claimed_at = claimed_at - interval '2 minutes' WHERE id = ANY($1::uuid[])`, [
      [...crashed.claimed, ...lost.claimed],
    ]);
    await store.db.query('DELETE FROM delivery_payloads WHERE delivery_id = $1', [lost.delivery.deliveryId]);

    // A sweep while Temporal is unreachable keeps the claim (no provider retry would come for a
    // reopened one); the claim whose payload is gone is reopened whatever Temporal's state.
    const deadClient = new Client({
      connection: Connection.lazy({ address: `127.0.0.1:${await closedPort()}` }),
      namespace: temporal.namespace,
    });
    try {
      const down = await sweepWaits({
        store,
        client: deadClient,
        logger: silentLogger,
        checkLimit: 0,
        temporalTimeoutMs: 500,
      });
      assert.ok(down.reopened >= 1, JSON.stringify(down));
    } finally {
      await deadClient.connection.close().catch(() => undefined);
    }
    assert.equal((await waitRows(handle.workflowId))[0]!.state, 'claimed');
    assert.equal(
      (await waitRows(orphan.workflowId))[0]!.state,
      'open',
      'no payload to re-signal: the wait is open for the next delivery',
    );
    await store.db.query(`UPDATE waits SET claimed_at = claimed_at - interval '2 minutes' WHERE id = ANY($1::uuid[])`, [
      crashed.claimed,
    ]);

    const swept = await sweepWaits({
      store,
      client: temporal.client,
      logger: silentLogger,
      recheckAfterMs: 0,
      checkLimit: 1000,
    });
    assert.equal((await waitRows(handle.workflowId))[0]!.state, 'signaled', JSON.stringify(swept));
    assert.ok(swept.resignaled >= 1, JSON.stringify(swept));
    const result = await delivered(handle);
    assert.equal(result.deliveryId, crashed.delivery.deliveryId);
    assert.deepEqual(result.payload, pushOf(repo));
    assert.equal(result.headers['x-github-event'], 'push');
    assert.equal(await signalsReceived(handle), 1);

    const next = await push(pushOf(`${repo}-orphan`));
    assert.equal(next.body.signaled.length, 1);
    assert.equal((await delivered(orphan)).deliveryId, next.body.deliveryId);
  });

  test('a large fan-out is answered once the claims commit; an ingress killed right after that 202 leaves its signals to the sweeper, and every run takes the delivery once', async () => {
    const repo = `acme/fan-out-${randomUUID()}`;
    const count = SIGNALS_BEFORE_ANSWER + 8;
    const handles = await Promise.all(
      Array.from({ length: count }, () =>
        start('waitOnce', { webhook: 'github-push', options: { match: repoMatch(repo), timeout: '1 minute' } }),
      ),
    );
    for (const handle of handles) await registered(handle.workflowId);

    const doomed = await spawnIngress({ databaseUrl: store.databaseUrl, schema: store.schema });
    let answer;
    try {
      answer = await push(pushOf(repo), randomUUID(), { ...ingress, url: doomed.url, deliver: deliverTo(doomed.url) });
    } finally {
      await doomed.kill();
    }
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.signaled, []);
    assert.equal(answer.body.claimed.length, count);
    assert.deepEqual(
      new Set(answer.body.claimed.map((c: { workflowId: string }) => c.workflowId)),
      new Set(handles.map((h) => h.workflowId)),
    );
    const delivery = await store.deliveries.get(answer.body.deliveryId);
    assert.equal(delivery?.outcome, 'signaled');

    // Past the claim timeout, the sweeper signals whatever the dead ingress left claimed.
    await store.db.query(
      `UPDATE waits SET claimed_at = claimed_at - interval '2 minutes' WHERE state = 'claimed' AND workflow_id = ANY($1::text[])`,
      [handles.map((h) => h.workflowId)],
    );
    await sweepWaits({ store, client: temporal.client, logger: silentLogger, checkLimit: 0 });
    for (const handle of handles) {
      const result = await delivered(handle);
      assert.equal(result.deliveryId, answer.body.deliveryId);
      assert.deepEqual(result.payload, pushOf(repo));
    }
    const states = await store.db.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM waits WHERE workflow_id = ANY($1::text[]) GROUP BY state`,
      [handles.map((h) => h.workflowId)],
    );
    assert.ok(
      states.rows.every((row) => row.state !== 'claimed' && row.state !== 'open'),
      JSON.stringify(states.rows),
    );
  });

  test('Temporal unavailable: 503 + Retry-After, the claim is undone, and the retry resumes the wait once', async () => {
    const repo = `acme/outage-${randomUUID()}`;
    const handle = await start('waitOnce', {
      webhook: 'github-push',
      options: { match: repoMatch(repo), timeout: '1 minute' },
    });
    await registered(handle.workflowId);
    const deadClient = new Client({
      connection: Connection.lazy({ address: `127.0.0.1:${await closedPort()}` }),
      namespace: temporal.namespace,
    });
    const down = await startTestIngress(store, deadClient, { temporalTimeoutMs: 500 });
    const guid = randomUUID();
    try {
      const res = await push(pushOf(repo), guid, down);
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.ok(res.headers.get('retry-after'));
    } finally {
      await down.close();
      await deadClient.connection.close().catch(() => undefined);
    }
    assert.equal((await waitRows(handle.workflowId))[0]!.state, 'open', 'the claim was undone');
    const retry = await push(pushOf(repo), guid);
    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal(retry.body.signaled.length, 1);
    assert.equal((await delivered(handle)).eventId, guid);
  });

  test('spec.start and spec.signal together: one delivery starts a run and resumes the waiting ones', async () => {
    const both = await ingress.api(
      'PUT',
      '/v1/webhooks/github-both',
      webhookBody({
        profile: 'github',
        secretRef: { name: 'github', key: 'value' },
        start: { workflowType: 'weeklyReport', taskQueue },
        signal: { enabled: true, workflowTypes: ['waitOnce'] },
      }),
    );
    assert.equal(both.status, 201, JSON.stringify(both.body));
    const repo = `acme/both-actions-${randomUUID()}`;
    const handle = await start('waitOnce', {
      webhook: 'github-both',
      options: { match: repoMatch(repo), timeout: '1 minute' },
    });
    await registered(handle.workflowId);
    const body = JSON.stringify(pushOf(repo));
    const guid = randomUUID();
    const headers = {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': guid,
      'x-hub-signature-256': await octokitSign(SECRET, body),
    };
    const res = await ingress.deliver(both.body.status.endpointPath, body, headers);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.workflowId, `default/github-both/${guid}`);
    assert.deepEqual(
      res.body.signaled.map((s: any) => s.workflowId),
      [handle.workflowId],
    );
    assert.equal((await delivered(handle)).eventId, guid);
    const repeat = await ingress.deliver(both.body.status.endpointPath, body, headers);
    assert.equal(repeat.body.duplicate, true);
    assert.equal(repeat.body.runId, res.body.runId);
    assert.deepEqual(repeat.body.signaled, []);
  });

  test('a worker whose plugin has no database fails the wait at once, saying what to pass', async () => {
    const bareQueue = uniqueTaskQueue('waits-no-store');
    const bare = await createExampleWorker({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue: bareQueue,
      workflowBundle: temporal.workflowBundle,
    });
    await bare.runUntil(async () => {
      const handle = await temporal.client.workflow.start('waitOnce', {
        taskQueue: bareQueue,
        workflowId: `wait-no-store-${randomUUID()}`,
        args: [{ webhook: 'github-push', options: { match: {} } }],
      });
      const failure = await failureOf(handle);
      assert.equal(failure.type, 'TempohookNotConfigured');
      assert.match(failure.message, /databaseUrl/);
    });
  });

  test('a webhook needs spec.start or spec.signal; workflowTypes limits who may wait', async () => {
    const none = await ingress.api(
      'PUT',
      '/v1/webhooks/no-action',
      webhookBody({ profile: 'github', secretRef: { name: 'github', key: 'value' } }),
    );
    assert.equal(none.status, 400);
    assert.match(none.body.error.message, /spec\.start.*spec\.signal/);
    const off = await ingress.api(
      'PUT',
      '/v1/webhooks/no-action',
      webhookBody({ profile: 'github', secretRef: { name: 'github', key: 'value' }, signal: { enabled: false } }),
    );
    assert.equal(off.status, 400);

    const typed = await ingress.api(
      'PUT',
      '/v1/webhooks/typed',
      webhookBody({
        profile: 'github',
        secretRef: { name: 'github', key: 'value' },
        signal: { enabled: true, workflowTypes: ['someOtherWorkflow'] },
      }),
    );
    assert.equal(typed.status, 201, JSON.stringify(typed.body));
    const failure = await failureOf(await start('waitOnce', { webhook: 'typed', options: { match: {} } }));
    assert.equal(failure.type, WaitFailureType.notSignaling);
    assert.match(failure.message, /workflowTypes/);
  });
});
