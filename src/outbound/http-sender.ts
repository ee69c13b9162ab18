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

export async function postJson(input: {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  guard: OutboundGuard;
}): Promise<SendResult> {
  const url = new URL(input.url);
  refuseLiteralHost(input.guard, url);
  const started = performance.now();
  const transport = url.protocol === 'https:' ? https : http;
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
        agent: false,
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
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.end(input.body);
  });
}
