/**
 * One HTTP POST to a receiver, through the outbound guard: never follows redirects, bounded by
 * a timeout, and reads at most a few KiB of the answer (kept truncated in the delivery log).
 */
import http from 'node:http';
import https from 'node:https';
import { refuseLiteralHost, type OutboundGuard } from './outbound-guard';

/** Longest response body kept. */
export const MAX_RESPONSE_BODY_CHARS = 2048;

export interface SendResult {
  httpStatus: number;
  responseBody: string;
  /** From `Retry-After` (seconds or an HTTP date), when the receiver sent one. */
  retryAfterMs?: number;
  durationMs: number;
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Kept-alive connections per receiver: a worker notifying ten subscriptions makes thousands of
 * POSTs a minute, and a TCP (and TLS) handshake for each cost more CPU than the POST itself.
 * Every new connection still goes through the guard's lookup; an idle one is closed after 4 s,
 * before the usual 5 s server keep-alive, so a reused socket is rarely one the receiver dropped.
 */
const KEEP_ALIVE = { keepAlive: true, maxSockets: 32, maxFreeSockets: 8, timeout: 4_000, scheduling: 'lifo' } as const;
/** Agents per guard: a socket one guard let through is never reused under another's rules. */
const agentsByGuard = new WeakMap<OutboundGuard, { http: http.Agent; https: https.Agent }>();
function agentsOf(guard: OutboundGuard) {
  let agents = agentsByGuard.get(guard);
  if (!agents)
    agentsByGuard.set(guard, (agents = { http: new http.Agent(KEEP_ALIVE), https: new https.Agent(KEEP_ALIVE) }));
  return agents;
}

interface PostInput {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  guard: OutboundGuard;
}

export async function postJson(input: PostInput): Promise<SendResult> {
  const url = new URL(input.url);
  refuseLiteralHost(input.guard, url);
  try {
    return await postOnce(input, url);
  } catch (err) {
    // The receiver closed a kept-alive socket as we reused it: nothing reached it, so send again once.
    if (err instanceof ReusedSocketReset) return postOnce(input, url);
    throw err;
  }
}

class ReusedSocketReset extends Error {}

function postOnce(input: PostInput, url: URL): Promise<SendResult> {
  const started = performance.now();
  const secure = url.protocol === 'https:';
  const transport = secure ? https : http;
  return new Promise<SendResult>((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method: 'POST',
        headers: {
          ...input.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(input.body)),
          'user-agent': 'tempohook',
        },
        lookup: input.guard.lookup,
        timeout: input.timeoutMs,
        agent: secure ? agentsOf(input.guard).https : agentsOf(input.guard).http,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < MAX_RESPONSE_BODY_CHARS * 4) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        res.on('end', () => {
          clearTimeout(deadline);
          const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
          resolve({
            httpStatus: res.statusCode ?? 0,
            responseBody: Buffer.concat(chunks).toString('utf8').slice(0, MAX_RESPONSE_BODY_CHARS),
            ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
            durationMs: performance.now() - started,
          });
        });
        res.on('error', reject);
      },
    );
    // `timeout` only covers idle sockets; this bounds the whole exchange.
    const deadline = setTimeout(
      () => req.destroy(new Error(`no answer within ${input.timeoutMs} ms`)),
      input.timeoutMs,
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${input.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      reject(req.reusedSocket && err.code === 'ECONNRESET' ? new ReusedSocketReset(err.message) : err);
    });
    req.end(input.body);
  });
}
