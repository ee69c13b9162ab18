/** The one place a delivery's HTTP answer is written, one case per kind of verdict. */
import type { Response } from 'express';
import { sendError } from '../http/http-errors';
import type { Verdict } from './verdict';

export function respond(res: Response, verdict: Verdict, options: { retryAfterSeconds: number }): void {
  const retryAfter = (seconds: number) => ({ headers: { 'Retry-After': String(seconds) } });
  switch (verdict.kind) {
    case 'unavailable': {
      const [code, message] =
        verdict.dependency === 'store'
          ? ['store_unavailable', 'The delivery store is unavailable; retry later.']
          : ['temporal_unavailable', 'Temporal is unavailable; retry later.'];
      return sendError(res, 503, code, message, retryAfter(options.retryAfterSeconds));
    }
    case 'endpoint_not_found':
      return sendError(
        res,
        404,
        'endpoint_not_found',
        'No webhook has this endpoint. Check the URL in `tempohook get webhook NAME`.',
      );
    case 'webhook_invalid':
      return sendError(res, 500, 'webhook_invalid', 'This webhook is misconfigured; re-apply it.');
    case 'refused':
      return sendError(
        res,
        verdict.status,
        verdict.code,
        verdict.message,
        verdict.retryAfterSeconds === undefined ? {} : retryAfter(verdict.retryAfterSeconds),
      );
    case 'start_refused':
      return sendError(res, verdict.status, verdict.code, verdict.message);
    case 'handshake':
      res.status(verdict.challenge.status).type(verdict.challenge.contentType).send(verdict.challenge.body);
      return;
    case 'ignored':
      return sendAccepted(res, { accepted: true, ignored: true, reason: verdict.reason });
      return;
    case 'accepted':
      return sendAccepted(res, verdict.answer);
      return;
  }
}

/**
 * A 202 written directly: `res.json` would also hash the body for an ETag, which no webhook
 * sender uses, on every delivery.
 */
function sendAccepted(res: Response, body: unknown): void {
  res.statusCode = 202;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}
