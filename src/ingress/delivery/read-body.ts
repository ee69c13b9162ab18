/**
 * Stage 2: the raw bytes, under the webhook's size limit, as the `InboundRequest` a profile
 * verifies (signatures are over the exact bytes, so every content type is read as bytes).
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { InboundRequest } from '../../verify/types';
import type { ResolvedWebhook } from './context';
import { next, type StageResult, type Verdict } from './verdict';

/** Body errors as `express.raw` reports them (from the `raw-body` and `http-errors` packages). */
interface BodyError {
  type?: string;
  status?: number;
  limit?: number;
}

/** Reads bodies with one `express.raw` parser per distinct limit. */
export function createBodyReader(options: { maxBodyBytes: number; publicUrl?: string | undefined }) {
  const parsers = new Map<number, RequestHandler>();
  const parserFor = (limit: number) => {
    let parser = parsers.get(limit);
    if (!parser) {
      parser = express.raw({ type: () => true, limit, inflate: true });
      parsers.set(limit, parser);
    }
    return parser;
  };

  /** Throws what is not an HTTP body error (the app's error handler answers it). */
  return async function readBody(
    req: Request,
    res: Response,
    webhook: ResolvedWebhook,
    receivedAt: Date,
  ): Promise<StageResult<{ inbound: InboundRequest }>> {
    const limit = webhook.spec.maxBodyBytes ?? options.maxBodyBytes;
    const failure = await new Promise<unknown>((done) => void parserFor(limit)(req, res, done));
    if (failure) return bodyRefusal(failure, options.maxBodyBytes);
    const base = options.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    return next({
      inbound: {
        rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        headers: lowerCaseHeaders(req),
        url: `${base.replace(/\/$/, '')}${req.originalUrl}`,
        receivedAt,
      },
    });
  };
}

function bodyRefusal(failure: unknown, defaultLimit: number): Verdict {
  const error = failure as BodyError;
  if (typeof error.status !== 'number') throw failure;
  if (error.type === 'entity.too.large') {
    const reason = `body larger than the ${error.limit ?? defaultLimit}-byte limit`;
    const message = `The ${reason}; raise spec.maxBodyBytes if this is expected.`;
    return { kind: 'refused', status: 413, code: 'body_too_large', message, reason };
  }
  const status = error.status >= 400 && error.status < 500 ? error.status : 400;
  const reason =
    error.type === 'encoding.unsupported' ? 'unsupported Content-Encoding' : 'the request body could not be read';
  return { kind: 'refused', status, code: 'body_unreadable', message: reason, reason };
}

function lowerCaseHeaders(req: Request): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}
