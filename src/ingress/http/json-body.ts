/**
 * The management API's JSON body parser: express.json with the body's nesting depth checked on
 * the raw bytes first (JSON.parse is iterative, but zod, JSON.stringify and PostgreSQL's jsonb are
 * not), and one error shape for unreadable, oversized and too-deep bodies.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { scanJsonDepth, tooDeepMessage } from '../../resources/json-limits';
import { sendError } from './http-errors';

const TOO_DEEP = 'payload.too.deep';

/** Parses `application/json` bodies of at most 1 MiB nested at most `maxDepth` levels. */
export function jsonBody(maxDepth: number): RequestHandler {
  return express.json({
    limit: '1mb',
    verify: (_req, _res, raw) => {
      if (!scanJsonDepth(raw, maxDepth).ok) throw Object.assign(new Error('too deep'), { type: TOO_DEEP, status: 400 });
    },
  });
}

/** Answers the body parser's errors (400 invalid_json / payload_too_deep, 413); passes anything else on. */
export function jsonBodyErrors(maxDepth: number) {
  return (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const parseError = err as { type?: string; status?: number };
    if (parseError.type === TOO_DEEP)
      return sendError(res, 400, 'payload_too_deep', tooDeepMessage(maxDepth, 'TEMPOHOOK_MAX_JSON_DEPTH'));
    if (parseError.type === 'entity.parse.failed')
      return sendError(res, 400, 'invalid_json', 'The request body is not valid JSON.');
    if (parseError.type === 'entity.too.large')
      return sendError(res, 413, 'body_too_large', 'Resource bodies are limited to 1 MiB.');
    next(err);
  };
}
