/** Runs the real ingress app on an ephemeral port for a test file, with a real store and Temporal client. */
import { createHmac } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { createApp, type AppDeps } from '../../src/ingress/app';
import { replayRunnerOf, startIngressMaintenance } from '../../src/ingress/maintenance';
import { listen } from '../../src/ingress/server';
import { silentLogger } from '../../src/logger';
import type { Store } from '../../src/store/types';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestIngress {
  url: string;
  /** Calls the management API with the admin token; returns status and parsed JSON. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Posts raw bytes to a delivery endpoint path. */
  deliver(
    endpointPath: string,
    rawBody: string | Buffer,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * `runReplays`: this ingress also runs bulk replay jobs (`POST /v1/webhooks/{name}/replay`), as the
 * periodic job of `tempohook ingress` does.
 */
export async function startTestIngress(
  store: Store,
  client: Client,
  overrides: Partial<AppDeps> = {},
  options: { runReplays?: boolean } = {},
): Promise<TestIngress> {
  const app = createApp({
    store,
    client,
    logger: silentLogger,
    adminToken: TEST_ADMIN_TOKEN,
    temporalTimeoutMs: 3000,
    ...overrides,
  });
  const server = await listen(app, 0);
  const stopReplays = options.runReplays
    ? startIngressMaintenance({ store, client, logger: silentLogger, temporalTimeoutMs: 3000, ...replayRunnerOf(app) })
    : () => undefined;
  const parse = async (res: Response) => {
    const text = await res.text();
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      return text;
    }
  };
  return {
    url: server.url,
    async api(method, path, body) {
      const res = await fetch(server.url + path, {
        method,
        headers: {
          authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: await parse(res) };
    },
    async deliver(endpointPath, rawBody, headers) {
      const res = await fetch(server.url + endpointPath, { method: 'POST', headers, body: rawBody });
      return { status: res.status, body: await parse(res), headers: res.headers };
    },
    close: () => {
      stopReplays();
      return server.close();
    },
  };
}

/** A Webhook resource body for tests. */
export function webhookBody(spec: Record<string, unknown>) {
  return { apiVersion: 'tempohook.dev/v1', kind: 'Webhook', spec };
}

export function secretBody(stringData: Record<string, string>) {
  return { apiVersion: 'tempohook.dev/v1', kind: 'Secret', spec: { stringData } };
}

/**
 * Applies a Secret `secretName` holding `secret` and a `generic`-profile Webhook `name` signed
 * with it that starts `workflowType` (default weeklyReport) on `taskQueue`; fails the test on
 * any other answer than 201. Returns the webhook's endpoint path.
 */
export async function applyGenericWebhook(
  ingress: Pick<TestIngress, 'api'>,
  name: string,
  options: { secretName: string; secret: string; taskQueue: string; workflowType?: string },
): Promise<string> {
  const secret = await ingress.api('PUT', `/v1/secrets/${options.secretName}`, secretBody({ value: options.secret }));
  if (secret.status !== 201)
    throw new Error(`PUT secret ${options.secretName}: ${secret.status} ${JSON.stringify(secret.body)}`);
  const start = { workflowType: options.workflowType ?? 'weeklyReport', taskQueue: options.taskQueue };
  const secretRef = { name: options.secretName, key: 'value' };
  const hook = await ingress.api('PUT', `/v1/webhooks/${name}`, webhookBody({ profile: 'generic', secretRef, start }));
  if (hook.status !== 201) throw new Error(`PUT webhook ${name}: ${hook.status} ${JSON.stringify(hook.body)}`);
  return hook.body.status.endpointPath as string;
}

/** Headers of a `generic`-profile delivery: X-Signature = sha256=hex(HMAC(secret, timestamp + "." + body)). */
export function genericDeliveryHeaders(
  body: string,
  eventId: string,
  options: { secret: string; timestamp?: number },
): Record<string, string> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'x-timestamp': String(timestamp),
    'x-event-id': eventId,
    'x-signature': `sha256=${createHmac('sha256', options.secret).update(`${timestamp}.${body}`).digest('hex')}`,
  };
}
