/**
 * The web console at /console/: what the ingress serves (the shell without a token, its headers,
 * config behind the token), and the console in a real browser — Debian's Chromium driven by
 * playwright-core with `executablePath` (Playwright's own browser download fails offline). The
 * browser scenario: sign in, see a failed delivery, open it, fix the webhook, replay it, watch it
 * turn `started`, follow the link to its run in the Temporal UI; subscriptions, a test event and
 * re-enabling. Screenshots of every page land in test-results/console/.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CONSOLE_CSP } from '../../src/ingress/console-routes';
import { createTestStore, type TestStore } from '../support/db';
import {
  genericDeliveryHeaders,
  secretBody,
  startTestIngress,
  TEST_ADMIN_TOKEN,
  webhookBody,
  type TestIngress,
} from '../support/ingress';
import { startReceiver, type TestReceiver } from '../support/receiver';
import { getTestTemporal, uniqueTaskQueue } from '../support/temporal';

const ROOT = path.resolve(__dirname, '..', '..');
const CONSOLE_DIR = path.join(ROOT, 'src', 'console');
const SCREENSHOTS = path.join(ROOT, 'test-results', 'console');
const CHROMIUM = process.env.TEMPOHOOK_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SECRET = 'console-signing-secret';

/** A stand-in for the Temporal Web UI: records the paths the console's run links lead to. */
async function startFakeTemporalUi(): Promise<{ url: string; paths: string[]; close(): Promise<void> }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Temporal UI (test)</title><h1>run</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('the web console, as served', () => {
  let store: TestStore;
  let ingress: TestIngress;

  before(async () => {
    store = await createTestStore();
    ingress = await startTestIngress(store, (await getTestTemporal()).client, {
      temporalUiUrl: 'https://temporal.example.com/',
    });
  });
  after(async () => {
    await ingress?.close();
    await store?.dropSchema();
  });

  test('/console redirects to /console/, whose shell and files carry the CSP, nosniff and revalidation', async () => {
    const redirect = await fetch(`${ingress.url}/console`, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    assert.equal(redirect.headers.get('location'), 'console/');

    for (const [file, type] of [
      ['', 'text/html; charset=utf-8'],
      ['app.js', 'text/javascript; charset=utf-8'],
      ['console.css', 'text/css; charset=utf-8'],
    ] as const) {
      const res = await fetch(`${ingress.url}/console/${file}`);
      assert.equal(res.status, 200, file);
      assert.equal(res.headers.get('content-type'), type);
      assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      const etag = res.headers.get('etag')!;
      assert.ok(etag);
      const again = await fetch(`${ingress.url}/console/${file}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304);
    }
    const missing = await fetch(`${ingress.url}/console/../package.json`);
    assert.equal(missing.status, 404);
    const unknown = await fetch(`${ingress.url}/console/secrets.txt`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('content-security-policy'), CONSOLE_CSP);
  });

  test('config.json needs the token and names the Temporal UI and namespace', async () => {
    assert.equal((await fetch(`${ingress.url}/console/config.json`)).status, 401);
    const config = await ingress.api('GET', '/console/config.json');
    assert.equal(config.status, 200);
    assert.deepEqual(config.body, {
      temporalUiUrl: 'https://temporal.example.com',
      temporalNamespace: (await getTestTemporal()).namespace,
    });
  });

  test('the shell has no inline script or style, and no file puts strings into markup', () => {
    const html = readFileSync(path.join(CONSOLE_DIR, 'index.html'), 'utf8');
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, 'no inline style or handler');
    for (const file of readdirSync(CONSOLE_DIR).filter((f) => f.endsWith('.js'))) {
      const source = readFileSync(path.join(CONSOLE_DIR, file), 'utf8');
      assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/, file);
      assert.doesNotMatch(source, /https?:\/\/(?!localhost)/, `${file} loads nothing from elsewhere`);
    }
  });

  test('without the management API (no admin token) there is no console', async () => {
    const bare = await startTestIngress(store, (await getTestTemporal()).client, { adminToken: undefined });
    try {
      assert.equal((await fetch(`${bare.url}/console/`)).status, 404);
    } finally {
      await bare.close();
    }
  });
});

describe('the web console in Chromium', { skip: chromiumMissing() }, () => {
  let store: TestStore;
  let ingress: TestIngress;
  let ui: Awaited<ReturnType<typeof startFakeTemporalUi>>;
  let receiver: TestReceiver;
  let context: BrowserContext;
  let page: Page;
  let profileDir: string;
  const taskQueue = uniqueTaskQueue('console');
  const failures: string[] = [];

  before(async () => {
    store = await createTestStore();
    ui = await startFakeTemporalUi();
    receiver = await startReceiver();
    ingress = await startTestIngress(
      store,
      (await getTestTemporal()).client,
      { temporalUiUrl: ui.url, outboundAllow: '127.0.0.1' },
      { runReplays: true },
    );
    await fs.mkdir(SCREENSHOTS, { recursive: true });
    profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tempohook-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 800 },
      timeout: 60_000,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    // Any CSP violation or script error fails the test at the end.
    page.on('console', (message) => {
      // Answers other than 2xx are part of the scenario (a refused token, whoami on an ingress without it).
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        failures.push(message.text());
    });
    page.on('pageerror', (err) => failures.push(err.message));
  });
  after(async () => {
    await context?.close();
    if (profileDir) await fs.rm(profileDir, { recursive: true, force: true });
    await receiver?.close();
    await ui?.close();
    await ingress?.close();
    await store?.dropSchema();
  });

  /** The page the hash names is rendered (main is busy while it loads). */
  const loaded = () => page.locator('main#main:not([aria-busy])').waitFor();
  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

  test('sign in, find the failed delivery, fix the webhook, replay it to a started run, follow the link', async () => {
    assert.equal((await ingress.api('PUT', '/v1/secrets/console-secret', secretBody({ value: SECRET }))).status, 201);
    const spec = (workflowId?: string) => ({
      profile: 'generic',
      secretRef: { name: 'console-secret', key: 'value' },
      start: { workflowType: 'weeklyReport', taskQueue, ...(workflowId ? { workflowId } : {}) },
    });
    // Orders without an orderId leave the workflow id empty: refused for good, 400 webhook task creation failed.
    const hook = await ingress.api('PUT', '/v1/webhooks/orders', webhookBody(spec('order-{payload.orderId}')));
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const endpointPath = hook.body.status.endpointPath as string;
    const send = async (body: object, eventId: string) => {
      const raw = JSON.stringify(body);
      return ingress.deliver(endpointPath, raw, genericDeliveryHeaders(raw, eventId, { secret: SECRET }));
    };
    const okEvent = `evt-ok-${randomUUID()}`;
    assert.equal((await send({ orderId: `o-${randomUUID()}` }, okEvent)).status, 202);
    const badEvent = `evt-bad-${randomUUID()}`;
    const bad = await send({ customer: 'acme', items: [{ sku: 'A-1', qty: 2 }] }, badEvent);
    assert.equal(bad.status, 400, JSON.stringify(bad.body));

    await page.goto(`${ingress.url}/console`);
    assert.equal(new URL(page.url()).pathname, '/console/');
    await page.getByLabel('API token or admin token').fill('not-the-token-0123456789');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was refused.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
    await shot('1-sign-in');
    await page.getByLabel('API token or admin token').fill(TEST_ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Webhooks: the endpoint URL to copy, profile, verified, last error.
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    assert.match((await page.locator('#who').textContent())!, /· all namespaces$/);
    const row = page.getByRole('row').filter({ hasText: 'orders' });
    assert.equal(await row.getByRole('textbox').inputValue(), `${ingress.url}${endpointPath}`);
    await row
      .getByText('webhook task creation failed')
      .or(row.getByText(/left \{payload\.orderId\}/))
      .first()
      .waitFor();
    await row.getByText('verified', { exact: true }).waitFor();
    await shot('2-webhooks');

    // The delivery log, searched for failures.
    await page.getByRole('link', { name: 'orders' }).click();
    await loaded();
    assert.equal(await page.locator('tbody tr[data-outcome]').count(), 2);
    await page.getByRole('checkbox', { name: 'failed' }).check();
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/outcome=failed/);
    await loaded();
    assert.equal(await page.locator('tbody tr[data-outcome]').count(), 1);
    await shot('3-deliveries');

    // The failed delivery in the drawer.
    await page.getByRole('button', { name: `Open delivery ${badEvent}` }).click();
    const drawer = page.getByRole('dialog');
    await drawer.getByRole('heading', { name: `Delivery ${badEvent}` }).waitFor();
    await drawer.locator('.badge-failed').waitFor();
    await drawer
      .getByText(/payload\.orderId/)
      .first()
      .waitFor();
    await shot('4-delivery');

    // Fix the webhook (the default workflow id), then replay from the console.
    assert.equal((await ingress.api('PUT', '/v1/webhooks/orders', webhookBody(spec()))).status, 200);
    await drawer.getByRole('button', { name: 'Replay this delivery' }).click();
    await drawer.locator('.badge-started').waitFor();
    await page.getByText('Replayed as a new delivery.').waitFor();
    const replayed = await ingress.api('GET', `/v1/webhooks/orders/deliveries?eventId=${badEvent}`);
    assert.deepEqual(
      replayed.body.items.map((d: { outcome: string }) => d.outcome),
      ['started', 'failed'],
      'the replay is a new delivery beside the failed one',
    );
    const { id: replayId, workflowId, runId, replayOf } = replayed.body.items[0];
    assert.equal(replayOf, replayed.body.items[1].id);
    await drawer.getByRole('heading', { name: `Delivery ${badEvent}` }).waitFor();
    await drawer.getByText(replayId).waitFor();
    await drawer.getByRole('button', { name: replayOf }).waitFor();
    await drawer.getByLabel('Body').getByText('"customer": "acme"').waitFor();
    const link = drawer.getByRole('link', { name: 'Open run in Temporal UI' });
    const href = (await link.getAttribute('href'))!;
    const namespace = (await getTestTemporal()).namespace;
    assert.equal(href, `${ui.url}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}/${runId}`);
    const description = await (await getTestTemporal()).client.workflow.getHandle(workflowId, runId).describe();
    assert.equal(description.type, 'weeklyReport');
    await shot('5-replayed');
    // The README's picture (docs/console.png is a copy): the replay open beside the log, in a smaller window.
    await page.setViewportSize({ width: 1100, height: 640 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'readme.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    // Follow the link: a new tab on the Temporal UI's page of that run.
    const [popup] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await popup.waitForLoadState();
    assert.equal(popup.url(), href);
    assert.ok(ui.paths.includes(new URL(href).pathname), `the UI was asked for the run: ${ui.paths.join(', ')}`);
    await popup.close();
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });

    // The started delivery's run link, from the unfiltered log.
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.getByRole('button', { name: `Open delivery ${okEvent}` }).click();
    await drawer.locator('.badge-started').waitFor();
    assert.match(
      (await drawer.getByRole('link', { name: 'Open run in Temporal UI' }).getAttribute('href'))!,
      new RegExp(`^${ui.url}/namespaces/[^/]+/workflows/[^/]+/[0-9a-f-]{36}$`),
    );
    await page.keyboard.press('Escape');

    // Open waits (none for a start-only webhook).
    await page.getByRole('link', { name: 'Open waits' }).click();
    await page.getByText('No run is waiting on this webhook').waitFor();
    await shot('7-waits');
    assert.deepEqual(failures, [], 'no script errors or CSP violations');
  });

  test('replay every failed delivery of a search: progress to completed, then the started runs in the log', async () => {
    const spec = (workflowId?: string) => ({
      profile: 'generic',
      secretRef: { name: 'console-secret', key: 'value' },
      start: { workflowType: 'weeklyReport', taskQueue, ...(workflowId ? { workflowId } : {}) },
    });
    const hook = await ingress.api('PUT', '/v1/webhooks/batch', webhookBody(spec('batch-{payload.orderId}')));
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    for (let i = 0; i < 3; i++) {
      const raw = JSON.stringify({ n: i });
      const headers = genericDeliveryHeaders(raw, `batch-${i}-${randomUUID()}`, { secret: SECRET });
      assert.equal((await ingress.deliver(hook.body.status.endpointPath, raw, headers)).status, 400);
    }
    assert.equal((await ingress.api('PUT', '/v1/webhooks/batch', webhookBody(spec()))).status, 200);

    await page.goto(`${ingress.url}/console/#/webhooks/default/batch?outcome=failed`);
    await loaded();
    assert.equal(await page.locator('tbody tr[data-outcome="failed"]').count(), 3);
    await page.getByRole('button', { name: 'Replay every matching delivery' }).click();
    const panel = page.locator('.replay-panel');
    await panel.getByRole('heading', { name: 'Replay of the search' }).waitFor();
    await page.locator('.replay-panel[data-state="completed"]').waitFor({ timeout: 30_000 });
    await panel.getByText('3 of 3 replayed · 3 succeeded · 0 failed').waitFor();
    assert.equal(await panel.getByRole('progressbar').getAttribute('value'), '3');
    assert.equal(await panel.getByRole('button', { name: 'Cancel' }).count(), 0);
    await shot('6-bulk-replay');
    await panel.getByRole('button', { name: 'Show the log with the replays' }).click();
    await loaded();
    await page.getByRole('link', { name: 'Clear' }).click();
    await loaded();
    assert.equal(await page.locator('tbody tr[data-outcome="started"]').count(), 3);
    assert.equal(await page.locator('tbody tr[data-outcome="failed"]').count(), 3);
  });

  test('a long delivery log is paged with Load more (the API keyset cursor), a search in the address', async () => {
    const spec = {
      profile: 'generic',
      secretRef: { name: 'console-secret', key: 'value' },
      start: { workflowType: 'weeklyReport', taskQueue },
    };
    assert.equal((await ingress.api('PUT', '/v1/webhooks/busy', webhookBody(spec))).status, 201);
    const webhook = (await store.webhooks.get('default', 'busy'))!;
    const now = Date.now();
    const rows = Array.from({ length: 60 }, (_, i) => ({
      id: randomUUID(),
      at: new Date(now - i * 60_000),
      failed: i % 3 === 0,
    }));
    await store.db.query(
      `INSERT INTO deliveries (id, webhook_id, event_id, received_at, http_status, outcome)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::int[], $6::text[])`,
      [
        rows.map((r) => r.id),
        rows.map(() => webhook.id),
        rows.map((_, i) => `busy-${i}`),
        rows.map((r) => r.at),
        rows.map((r) => (r.failed ? 400 : 202)),
        rows.map((r) => (r.failed ? 'failed' : 'started')),
      ],
    );
    await page.goto(`${ingress.url}/console/#/webhooks/default/busy`);
    await loaded();
    assert.equal(await page.locator('tbody tr[data-outcome]').count(), 50);
    assert.equal(await page.locator('tbody tr[data-outcome]').first().getAttribute('data-delivery-id'), rows[0]!.id);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText('No more deliveries.').waitFor();
    assert.deepEqual(
      await page
        .locator('tbody tr[data-outcome]')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-delivery-id'))),
      rows.map((r) => r.id),
    );
    // A search is part of the address: opening it again shows the same rows.
    await page.goto(`${ingress.url}/console/#/webhooks/default/busy?outcome=failed&since=2h`);
    await loaded();
    assert.equal(await page.locator('tbody tr[data-outcome="failed"]').count(), 20);
    assert.equal(await page.locator('tbody tr[data-outcome="started"]').count(), 0);
    assert.equal(await page.getByRole('checkbox', { name: 'failed' }).isChecked(), true);
    assert.equal(await page.getByLabel('Since').inputValue(), '2h');
  });

  test('a read token of one namespace: its webhooks only, operating buttons disabled, signed out once revoked', async () => {
    const elsewhere = await ingress.api(
      'PUT',
      '/v1/webhooks/elsewhere?namespace=other',
      webhookBody({
        profile: 'generic',
        secretRef: { name: 'console-secret', key: 'value' },
        start: { workflowType: 'weeklyReport', taskQueue },
      }),
    );
    assert.equal(elsewhere.status, 201, JSON.stringify(elsewhere.body));
    const created = await ingress.api('POST', '/v1/tokens', { name: 'viewer', role: 'read', namespaces: ['default'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));

    // A tab of its own: the token lives in the tab's sessionStorage.
    const tab = await context.newPage();
    tab.setDefaultTimeout(15_000);
    try {
      await tab.goto(`${ingress.url}/console/`);
      await tab.getByLabel('API token or admin token').fill(created.body.token);
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.getByText('viewer · read · default').waitFor();
      await tab.getByRole('link', { name: 'orders' }).waitFor();
      assert.equal(await tab.getByRole('link', { name: 'elsewhere' }).count(), 0);
      await tab.getByRole('link', { name: 'orders' }).click();
      await tab.locator('main#main:not([aria-busy])').waitFor();
      await tab
        .getByRole('button', { name: /^Open delivery / })
        .first()
        .click();
      const replay = tab.getByRole('dialog').getByRole('button', { name: 'Replay this delivery' });
      await replay.waitFor();
      assert.equal(await replay.isDisabled(), true);
      await tab.screenshot({ path: path.join(SCREENSHOTS, '10-read-token.png') });
      await tab.keyboard.press('Escape');

      assert.equal((await ingress.api('DELETE', '/v1/tokens/viewer')).status, 200);
      await tab.getByRole('link', { name: 'Subscriptions' }).click();
      await tab.getByText('The token was refused (revoked or expired?); sign in again.').waitFor();
      assert.equal(await tab.evaluate('sessionStorage.length'), 0);
    } finally {
      await tab.close();
    }
    // The admin's own tab still lists every namespace.
    await page.goto(`${ingress.url}/console/#/webhooks`);
    await loaded();
    await page.getByRole('link', { name: 'elsewhere' }).waitFor();
  });

  test('subscriptions: a test event with its attempt, and re-enabling a disabled one', async () => {
    const sub = await ingress.api('PUT', '/v1/subscriptions/ops-feed', {
      apiVersion: 'tempohook.dev/v1',
      kind: 'Subscription',
      spec: { url: `${receiver.url}/events`, events: ['workflow.failed'] },
    });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    await store.db.query(
      `INSERT INTO subscription_status (subscription_key, disabled_at, disabled_reason, consecutive_failures)
       VALUES ($1, now(), 'receiver answered HTTP 410', 20)
       ON CONFLICT (subscription_key) DO UPDATE SET disabled_at = now(), disabled_reason = EXCLUDED.disabled_reason`,
      ['default/ops-feed'],
    );

    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByRole('heading', { name: 'Subscriptions' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'ops-feed' });
    await row.locator('.badge-disabled').waitFor();
    await row.getByRole('button', { name: 'Enable ops-feed again' }).click();
    await row.locator('.badge-active').waitFor();
    await page
      .getByRole('row')
      .filter({ hasText: 'ops-feed' })
      .getByRole('button', { name: 'Send a test event to ops-feed' })
      .click();
    await page.getByText('Test event to ops-feed: delivered (HTTP 200).').waitFor();
    assert.equal(receiver.requests.length, 1);
    await shot('8-subscriptions');

    await page.getByRole('link', { name: 'ops-feed' }).click();
    await page.getByRole('heading', { name: 'ops-feed' }).waitFor();
    await page.getByText('1 attempt').click();
    await page.getByRole('table', { name: /Attempts of evt_test_/ }).waitFor();
    await shot('9-subscription-deliveries');
    assert.deepEqual(failures, [], 'no script errors or CSP violations');
  });
});

/** Why the browser tests are skipped, or false when Chromium is there. */
function chromiumMissing(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const reason = `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does) or set TEMPOHOOK_CHROMIUM`;
  process.stderr.write(`[console test] skipped: ${reason}\n`);
  return reason;
}
