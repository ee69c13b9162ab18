/**
 * Searching a big delivery log: `GET /v1/webhooks/{name}/deliveries` with each filter, over HTTP,
 * on one webhook holding BENCH_SEARCH_ROWS deliveries (default 1,000,000) spread over 30 days,
 * beside the unfiltered first page measured in the same run. Issue 13 asks ≤ 50 ms per filter.
 */
import type { Client } from '@temporalio/client';
import { createApp } from '../src/ingress/app';
import { listen } from '../src/ingress/server';
import { silentLogger } from '../src/logger';
import type { Store } from '../src/store/types';

const ADMIN_TOKEN = 'bench-search-admin-token-0123456789';
const QUERIES_PER_ROW = 100;

export interface SearchRow {
  label: string;
  p50Ms: number;
  p99Ms: number;
  items: number;
}

export interface SearchBench {
  rows: number;
  fillSeconds: number;
  baseline: SearchRow;
  filtered: SearchRow[];
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/**
 * Fills the log with one set-based INSERT: outcomes as a busy webhook sees them (90% started,
 * 5% duplicate, 3% failed, 1% rejected, 1% ignored), one event id and workflow id per delivery.
 */
async function fill(store: Store, webhookId: string, rows: number): Promise<void> {
  // In slices: each statement stays well inside the pool's 10 s statement_timeout.
  const slice = 50_000;
  for (let from = 1; from <= rows; from += slice)
    await fillSlice(store, webhookId, rows, from, Math.min(rows, from + slice - 1));
  await store.db.query('ANALYZE deliveries');
}

async function fillSlice(store: Store, webhookId: string, rows: number, from: number, to: number): Promise<void> {
  await store.db.query(
    `INSERT INTO deliveries (id, webhook_id, event_id, source_event, received_at, http_status, outcome, reason, workflow_id, run_id)
     SELECT gen_random_uuid(), $1, 'evt-' || g, 'push',
            now() - (g * (interval '30 days' / $2::int)),
            CASE WHEN g % 100 < 90 THEN 202 WHEN g % 100 < 95 THEN 200 WHEN g % 100 < 98 THEN 400
                 WHEN g % 100 < 99 THEN 401 ELSE 200 END,
            CASE WHEN g % 100 < 90 THEN 'started' WHEN g % 100 < 95 THEN 'duplicate' WHEN g % 100 < 98 THEN 'failed'
                 WHEN g % 100 < 99 THEN 'rejected' ELSE 'ignored' END,
            CASE WHEN g % 100 BETWEEN 95 AND 97 THEN 'webhook task creation failed' END,
            CASE WHEN g % 100 < 95 THEN 'wf-' || g END,
            CASE WHEN g % 100 < 90 THEN gen_random_uuid()::text END
     FROM generate_series($3::int, $4::int) AS g`,
    [webhookId, rows, from, to],
  );
}

export async function benchDeliverySearch(input: { store: Store; client: Client; rows: number }): Promise<SearchBench> {
  const { store, client, rows } = input;
  // Only the log is read: the webhook needs no secret or workflow to be searched.
  const { webhook } = await store.webhooks.apply('default', 'bench-search', { profile: 'generic' });
  const filled = performance.now();
  await fill(store, webhook.id, rows);
  const fillSeconds = (performance.now() - filled) / 1000;

  const app = createApp({ store, client, logger: silentLogger, adminToken: ADMIN_TOKEN });
  const server = await listen(app, 0);
  try {
    const base = `${server.url}/v1/webhooks/bench-search/deliveries`;
    const get = async (query: string) => {
      const response = await fetch(`${base}?limit=50${query}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      if (!response.ok) throw new Error(`search ${query}: HTTP ${response.status} ${await response.text()}`);
      return (await response.json()) as { items: unknown[]; nextCursor: string | null };
    };
    const measure = async (label: string, query: () => Promise<string>): Promise<SearchRow> => {
      const q = await query();
      for (let i = 0; i < 3; i++) await get(q); // warm: plans cached, pages in shared buffers
      const times: number[] = [];
      let items = 0;
      for (let i = 0; i < QUERIES_PER_ROW; i++) {
        const started = performance.now();
        items = (await get(q)).items.length;
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      return { label, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), items };
    };
    const at = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString();
    const fixed = (query: string) => () => Promise.resolve(query);
    /** The cursor of the fifth page of outcome=failed: keyset paging stays flat deep in the log. */
    const fifthPage = async () => {
      let cursor: string | null = null;
      for (let page = 0; page < 4; page++)
        cursor = (await get(`&outcome=failed${cursor ? `&cursor=${cursor}` : ''}`)).nextCursor;
      return `&outcome=failed&cursor=${encodeURIComponent(cursor ?? '')}`;
    };
    const baseline = await measure('no filter, first page', fixed(''));
    const filtered = [
      await measure('outcome=failed', fixed('&outcome=failed')),
      await measure('outcome=failed, fifth page', fifthPage),
      await measure('outcome=failed&since=7d', fixed('&outcome=failed&since=7d')),
      await measure('outcome=rejected,ignored', fixed('&outcome=rejected,ignored')),
      await measure('status=401', fixed('&status=401')),
      await measure('eventId (one match)', fixed(`&eventId=evt-${Math.floor(rows / 2) + 1}`)),
      await measure('workflowId (one match)', fixed(`&workflowId=wf-${Math.floor(rows / 3)}`)),
      await measure('since/until, 1 hour 20 days back', fixed(`&since=${at(20)}&until=${at(20 - 1 / 24)}`)),
      await measure(
        'outcome=failed, 1 hour 20 days back',
        fixed(`&outcome=failed&since=${at(20)}&until=${at(20 - 1 / 24)}`),
      ),
    ];
    return { rows, fillSeconds, baseline, filtered };
  } finally {
    await server.close();
  }
}
