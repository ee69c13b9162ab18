/**
 * Waits at scale:
 * 1. ingress latency (p50/p99) of a delivery that matches 1 wait while 0, 10,000 and 100,000
 *    unrelated waits are open (inserted in bulk: they belong to no running run), as ratios to 0;
 * 2. time to resume 1,000 workflows waiting on one delivery (registered through a real worker),
 *    beside 1,000 other waiting runs resumed by a bare `handle.signal` loop at the same concurrency.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createApp } from '../src/ingress/app';
import { listen } from '../src/ingress/server';
import { silentLogger } from '../src/logger';
import type { Store } from '../src/store/types';
import { compileMatch } from '../src/waits/match';
import { TempohookPlugin } from '../src/worker/plugin';
import { runConcurrent, type ThroughputResult } from './ingress-throughput';

const SECRET = 'bench-wait-secret';
const LATENCY_DELIVERIES = Number(process.env.BENCH_WAIT_DELIVERIES ?? 200);
const RESUME_WORKFLOWS = Number(process.env.BENCH_RESUME_WORKFLOWS ?? 1000);
/** How many unrelated open waits each latency row has (comma-separated). */
const OPEN_WAITS = (process.env.BENCH_WAIT_OPEN ?? '0,10000,100000').split(',').map(Number);
const UNRELATED_PATH_SETS = 9;

export interface WaitsBenchResult {
  latency: Array<{ openWaits: number; result: ThroughputResult }>;
  resume: {
    workflows: number;
    answerMs: number;
    /** Until every claimed wait was signaled (the signals go out after the answer). */
    signalsDoneMs: number;
    allResumedMs: number;
    registerMs: number;
    bareSignalsMs: number;
    bareAllResumedMs: number;
  };
}

function signedHeaders(body: string, eventId: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'x-timestamp': String(ts),
    'x-event-id': eventId,
    'x-signature': `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`,
  };
}

/** Inserts `count` open waits on `webhookId` that match nothing the bench sends (90% share the real path set). */
async function insertUnrelatedWaits(
  store: Store,
  webhookId: string,
  realPathSet: string,
  count: number,
): Promise<void> {
  for (let k = 0; k < UNRELATED_PATH_SETS; k++) {
    const paths = JSON.stringify([{ in: 'payload', segments: [`field${k}`] }]);
    await store.db.query(
      `INSERT INTO wait_path_sets (webhook_id, path_set, paths, last_used_at) VALUES ($1, md5($2), $3, now()) ON CONFLICT DO NOTHING`,
      [webhookId, `bench-${k}`, paths],
    );
  }
  const batch = 50_000;
  for (let done = 0; done < count; done += batch) {
    const n = Math.min(batch, count - done);
    await store.db.query(
      `INSERT INTO waits (id, webhook_id, temporal_namespace, workflow_id, run_id, workflow_type, match, path_set, match_key, state, created_at, updated_at)
       SELECT gen_random_uuid(), $1, 'default', 'unrelated-' || i, gen_random_uuid()::text, 'benchWorkflow', '{}'::jsonb,
              CASE WHEN i % 10 = 0 THEN md5('bench-' || (i % ${UNRELATED_PATH_SETS})) ELSE $2 END,
              md5(random()::text || i), 'open', now(), now()
       FROM generate_series($3::int, $4::int) AS i`,
      [webhookId, realPathSet, done, done + n - 1],
    );
  }
  await store.db.query('ANALYZE waits');
}

export async function benchWaits(input: {
  store: Store;
  client: Client;
  nativeConnection: NativeConnection;
}): Promise<WaitsBenchResult> {
  const { store, client } = input;
  const runTag = randomUUID().slice(0, 8);
  await store.secrets.put('default', 'bench-wait-secret', { value: SECRET });
  const { webhook } = await store.webhooks.apply('default', `bench-waits-${runTag}`, {
    profile: 'generic',
    secretRef: { name: 'bench-wait-secret', key: 'value' },
    signal: { enabled: true },
  });
  const app = createApp({ store, client, logger: silentLogger, adminToken: 'bench-admin-token-0123456789' });
  const server = await listen(app, 0);
  const url = `${server.url}/v1/webhook-deliveries/${webhook.endpointId}`;
  const send = async (payload: unknown) => {
    const body = JSON.stringify(payload);
    const res = await fetch(url, { method: 'POST', headers: signedHeaders(body, randomUUID()), body });
    return { status: res.status, body: (await res.json()) as { signaled?: unknown[]; claimed?: unknown[] } };
  };

  try {
    // The matching wait of each delivery belongs to one running run (no worker: signals are accepted and queued).
    const target = await client.workflow.start('waitOnce', {
      taskQueue: `bench-no-worker-${runTag}`,
      workflowId: `bench-target-${runTag}`,
      args: [{}],
    });
    const realPathSet = compileMatch({ '$.order': 'x' }).pathSet;
    await store.db.query(
      `INSERT INTO wait_path_sets (webhook_id, path_set, paths, last_used_at) VALUES ($1, $2, $3, now())`,
      [webhook.id, realPathSet.key, JSON.stringify(realPathSet.paths)],
    );
    const insertMatchingWait = async (order: string) => {
      const compiled = compileMatch({ '$.order': order });
      await store.db.query(
        `INSERT INTO waits (id, webhook_id, temporal_namespace, workflow_id, run_id, workflow_type, match, path_set, match_key, state, created_at, updated_at)
         VALUES ($1, $2, 'default', $3, $4, 'waitOnce', $5, $6, $7, 'open', now(), now())`,
        [
          randomUUID(),
          webhook.id,
          target.workflowId,
          target.firstExecutionRunId,
          JSON.stringify({ '$.order': order }),
          compiled.pathSet.key,
          compiled.matchKey,
        ],
      );
    };

    const latency: WaitsBenchResult['latency'] = [];
    let open = 0;
    for (const openWaits of OPEN_WAITS) {
      if (openWaits > open) await insertUnrelatedWaits(store, webhook.id, realPathSet.key, openWaits - open);
      open = openWaits;
      await insertMatchingWait(`warm-${openWaits}`);
      await send({ order: `warm-${openWaits}` });
      const orders = Array.from({ length: LATENCY_DELIVERIES }, (_, i) => `o-${openWaits}-${i}`);
      for (const order of orders) await insertMatchingWait(order);
      const result = await runConcurrent(
        `1 matching wait, ${openWaits.toLocaleString('en')} unrelated open`,
        LATENCY_DELIVERIES,
        1,
        async (i) => {
          const res = await send({ order: orders[i] });
          return res.status === 202 && res.body.signaled?.length === 1;
        },
      );
      latency.push({ openWaits, result });
    }
    await target.terminate('bench done');

    // 1,000 real runs register through the worker's activities, then one delivery resumes them all.
    const taskQueue = `bench-resume-${runTag}`;
    const worker = await Worker.create({
      connection: input.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../test/support/workflows'),
      plugins: [new TempohookPlugin({ store })],
      maxConcurrentWorkflowTaskExecutions: 100,
      maxConcurrentActivityTaskExecutions: 100,
    });
    const running = worker.run();
    try {
      /** Starts `RESUME_WORKFLOWS` runs waiting on `{ "$.batch": batch }`; resolves once all waits are registered. */
      const registerBatch = async (batch: string) => {
        const handles = await Promise.all(
          Array.from({ length: RESUME_WORKFLOWS }, (_, i) =>
            client.workflow.start('waitOnce', {
              taskQueue,
              workflowId: `bench-${batch}-${i}`,
              args: [{ webhook: webhook.name, options: { match: { '$.batch': batch }, timeout: '10 minutes' } }],
            }),
          ),
        );
        for (;;) {
          const { rows } = await store.db.query<{ id: string; workflow_id: string; run_id: string }>(
            `SELECT id, workflow_id, run_id FROM waits WHERE webhook_id = $1 AND state = 'open' AND match ->> '$.batch' = $2`,
            [webhook.id, batch],
          );
          if (rows.length >= RESUME_WORKFLOWS) return { handles, waits: rows };
          await new Promise((r) => setTimeout(r, 200));
        }
      };

      const viaIngress = `ingress-${runTag}`;
      const registerStarted = performance.now();
      const ingressBatch = await registerBatch(viaIngress);
      const registerMs = performance.now() - registerStarted;
      const t0 = performance.now();
      const res = await send({ batch: viaIngress });
      const answerMs = performance.now() - t0;
      // A fan-out this large is answered once the claims commit; its signals follow in the background.
      const claimed = res.body.claimed?.length ?? res.body.signaled?.length;
      if (claimed !== RESUME_WORKFLOWS) throw new Error(`claimed ${claimed} of ${RESUME_WORKFLOWS}`);
      const waitIds = ingressBatch.waits.map((w) => w.id);
      for (;;) {
        const { rows } = await store.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM waits WHERE id = ANY($1::uuid[]) AND state IN ('open', 'claimed')`,
          [waitIds],
        );
        if (rows[0]!.n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const signalsDoneMs = performance.now() - t0;
      await Promise.all(ingressBatch.handles.map((h) => h.result()));
      const allResumedMs = performance.now() - t0;

      // Baseline: the same number of waiting runs resumed by a bare handle.signal loop at the ingress's concurrency.
      const bareBatch = await registerBatch(`bare-${runTag}`);
      const t1 = performance.now();
      const delivery = {
        deliveryId: randomUUID(),
        eventId: 'bare',
        receivedAt: new Date().toISOString(),
        source: 'bench',
        payload: { batch: 'bare' },
        headers: {},
      };
      await runConcurrent('bare handle.signal', RESUME_WORKFLOWS, 32, async (i) => {
        const wait = bareBatch.waits[i]!;
        await client.workflow
          .getHandle(wait.workflow_id, wait.run_id)
          .signal('tempohook.webhook', { waitId: wait.id, delivery });
        return true;
      });
      const bareSignalsMs = performance.now() - t1;
      await Promise.all(bareBatch.handles.map((h) => h.result()));
      const bareAllResumedMs = performance.now() - t1;
      return {
        latency,
        resume: {
          workflows: RESUME_WORKFLOWS,
          answerMs,
          signalsDoneMs,
          allResumedMs,
          registerMs,
          bareSignalsMs,
          bareAllResumedMs,
        },
      };
    } finally {
      worker.shutdown();
      await running;
    }
  } finally {
    await server.close();
  }
}
