/**
 * Hostile and broken requests against a running ingress, over fetch and raw sockets, each with
 * the answers it may get. Shared by the hostile-input suite (a few thousand in `npm test`) and
 * `scripts/hostile-load.ts` (30,000+). A 5xx is never among the allowed answers.
 */
import { createHmac, randomBytes } from 'node:crypto';
import net from 'node:net';

export interface HostileTarget {
  /** `http://host:port` of the ingress. */
  url: string;
  adminToken: string;
  /** Secret of the `generic` webhooks below. */
  secret: string;
  /** Delivery path of a start-only webhook. */
  startPath: string;
  /** Delivery path of a webhook that starts a run and signals waiting ones (its payloads are stored). */
  signalPath: string;
}

/** 0: the server closed the connection without an answer; -1: no answer in time. */
export type Status = number;

export interface HostileCase {
  name: string;
  /** True for a valid signed delivery: it must be answered 202. */
  valid?: boolean;
  send(target: HostileTarget): Promise<Status>;
  /** The answers this request may get. */
  allowed: (status: Status) => boolean;
}

const is =
  (...statuses: number[]) =>
  (status: number) =>
    statuses.includes(status);
const clientError = (status: number) => status >= 400 && status < 500;
const clientErrorOrClosed = (status: number) => clientError(status) || status === 0;

let sequence = 0;
const eventId = () => `hostile-${process.pid}-${Date.now().toString(36)}-${(sequence++).toString(36)}`;

/** Headers of a signed `generic` delivery. */
export function signedHeaders(secret: string, body: string | Buffer, id: string, contentType = 'application/json') {
  const timestamp = Math.floor(Date.now() / 1000);
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return {
    'content-type': contentType,
    'x-timestamp': String(timestamp),
    'x-event-id': id,
    'x-signature': `sha256=${mac}`,
  };
}

async function post(url: string, body: string | Buffer | undefined, headers: Record<string, string>, method = 'POST') {
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Writes `request` on a fresh socket; the status of the first answer, 0 if closed without one, -1
 * on timeout. `halfClose` ends the writing side at once (a sender that stops mid-body); otherwise
 * the socket stays open for the answer, as a real client's does.
 */
export function rawRequest(
  url: string,
  request: Buffer | string,
  options: { halfClose?: boolean; timeoutMs?: number } = {},
): Promise<Status> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    let done = false;
    const finish = (status: Status) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => finish(-1), timeoutMs);
    socket.on('connect', () => (options.halfClose ? socket.end(request) : socket.write(request)));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (match) finish(Number(match[1]));
      else if (received.length > 64) finish(0);
    });
    socket.on('error', () => finish(0));
    socket.on('close', () => finish(0));
  });
}

const deep = (depth: number, kind: 'object' | 'array') =>
  kind === 'object' ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);

const unknownEndpoint = () => `/v1/webhook-deliveries/${randomBytes(32).toString('base64url')}`;

const rawPost = (path: string, headers: string[], body: Buffer | string) =>
  Buffer.concat([
    Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`,
      'latin1',
    ),
    Buffer.isBuffer(body) ? body : Buffer.from(body),
  ]);

/** Every case; `pickHostileCase` draws from them with valid deliveries mixed in. */
export const hostileCases: HostileCase[] = [
  {
    name: 'valid signed delivery',
    valid: true,
    send: (t) => {
      const body = JSON.stringify({ type: 'order.paid', id: randomBytes(4).toString('hex') });
      return post(t.url + t.startPath, body, signedHeaders(t.secret, body, eventId()));
    },
    allowed: is(202),
  },
  {
    name: 'valid signed delivery to a signal webhook',
    valid: true,
    send: (t) => {
      const body = JSON.stringify({ type: 'order.shipped', order: { id: randomBytes(4).toString('hex') } });
      return post(t.url + t.signalPath, body, signedHeaders(t.secret, body, eventId()));
    },
    allowed: is(202),
  },
  {
    name: 'signed JSON with \\u0000 in a value and a key (stored payload)',
    valid: true,
    send: (t) => {
      const body = '{"note":"a\\u0000b","k\\u0000":["\\u0000"],"escaped":"\\\\u0000"}';
      return post(t.url + t.signalPath, body, signedHeaders(t.secret, body, eventId()));
    },
    allowed: is(202),
  },
  {
    name: 'signed prototype-pollution keys',
    valid: true,
    send: (t) => {
      const body = '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"toString":"x"}';
      return post(t.url + t.signalPath, body, signedHeaders(t.secret, body, eventId()));
    },
    allowed: is(202),
  },
  {
    name: 'odd but valid event ids',
    valid: true,
    send: (t) => {
      const ids = ["' OR 1=1 --", '../../etc/passwd', '{payload.x}', '%00', '$(id)', 'a b c', '\\u0000', 'ÿþ'];
      const body = '{"odd":true}';
      return post(
        t.url + t.startPath,
        body,
        signedHeaders(t.secret, body, `${ids[sequence % ids.length]}-${eventId()}`),
      );
    },
    allowed: is(202),
  },
  ...(['object', 'array'] as const).flatMap((kind): HostileCase[] => [
    {
      name: `signed 10,000-deep JSON ${kind}`,
      send: (t) => {
        const body = deep(10_000, kind);
        return post(t.url + t.signalPath, body, signedHeaders(t.secret, body, eventId()));
      },
      allowed: is(400),
    },
    {
      name: `signed 10,000-deep JSON ${kind} as text/plain and as a form payload field`,
      send: (t) => {
        const text = deep(10_000, kind);
        const form = `payload=${encodeURIComponent(text)}`;
        return sequence++ % 2 === 0
          ? post(t.url + t.startPath, text, signedHeaders(t.secret, text, eventId(), 'text/plain'))
          : post(
              t.url + t.startPath,
              form,
              signedHeaders(t.secret, form, eventId(), 'application/x-www-form-urlencoded'),
            );
      },
      allowed: is(400),
    },
    {
      name: `unsigned 10,000-deep JSON ${kind}`,
      send: (t) => post(t.url + t.startPath, deep(10_000, kind), { 'content-type': 'application/json' }),
      allowed: is(400, 401),
    },
    {
      name: `management PUT with 10,000-deep JSON ${kind}`,
      send: (t) =>
        post(
          `${t.url}/v1/${['webhooks', 'secrets', 'subscriptions'][sequence++ % 3]}/deep`,
          deep(10_000, kind),
          { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
          'PUT',
        ),
      allowed: is(400),
    },
  ]),
  {
    name: 'NUL in the endpoint id',
    send: (t) => post(`${t.url}/v1/webhook-deliveries/abc%00def`, '{}', { 'content-type': 'application/json' }),
    allowed: is(404),
  },
  {
    name: 'unknown endpoint id',
    send: (t) => post(t.url + unknownEndpoint(), '{}', { 'content-type': 'application/json' }),
    allowed: is(404),
  },
  {
    name: 'percent-encoded traversal',
    send: (t) => {
      const paths = [
        '/v1/webhook-deliveries/..%2f..%2fetc%2fpasswd',
        '/v1/webhook-deliveries/%2e%2e%2f%2e%2e%2fv1%2fwebhooks',
        '/v1/webhook-deliveries/%2e%2e/%2e%2e/v1/webhooks',
        '/v1/%2e%2e/v1/webhooks',
        '/v1/webhook-deliveries/%zz',
        '/v1/webhook-deliveries/%c0%ae%c0%ae%c0%af',
        '/v1/webhook-deliveries/' + '%2e'.repeat(2000),
      ];
      return post(t.url + paths[sequence++ % paths.length]!, '{}', { 'content-type': 'application/json' });
    },
    allowed: clientError,
  },
  {
    name: 'signed event id of 10,000 characters',
    send: (t) => post(t.url + t.startPath, '{}', signedHeaders(t.secret, '{}', 'e'.repeat(10_000))),
    allowed: is(400),
  },
  {
    name: 'signed body that is not UTF-8, declared JSON',
    send: (t) => {
      const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0x80, 0x22, 0x7d]);
      return post(t.url + t.startPath, body, signedHeaders(t.secret, body, eventId()));
    },
    allowed: is(400),
  },
  {
    name: 'bad signature',
    send: (t) => {
      const body = JSON.stringify({ forged: true });
      return post(t.url + t.signalPath, body, { ...signedHeaders('wrong-secret', body, eventId()) });
    },
    allowed: is(401),
  },
  {
    name: 'garbage body, no signature, odd content types',
    send: (t) => {
      const types = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', ''];
      return post(t.url + t.startPath, randomBytes(512), { 'content-type': types[sequence++ % types.length]! });
    },
    allowed: is(400, 401),
  },
  {
    name: 'body past the size limit',
    send: (t) => post(t.url + t.startPath, Buffer.alloc(2 * 1024 * 1024, 0x20), { 'content-type': 'application/json' }),
    allowed: clientErrorOrClosed,
  },
  {
    name: 'Content-Encoding: gzip with a body that is not gzip',
    send: (t) =>
      post(t.url + t.startPath, 'not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }),
    allowed: is(400, 415),
  },
  {
    name: 'method confusion on a delivery endpoint',
    send: (t) => {
      const methods = ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
      const method = methods[sequence++ % methods.length]!;
      return post(
        t.url + t.startPath,
        method === 'GET' || method === 'HEAD' ? undefined : '{}',
        { 'x-http-method-override': 'POST' },
        method,
      );
    },
    allowed: is(405),
  },
  {
    name: 'management call without the token, or with X-HTTP-Method-Override',
    send: (t) =>
      post(
        `${t.url}/v1/webhooks/x`,
        '{"spec":',
        { 'content-type': 'application/json', 'x-http-method-override': 'DELETE' },
        'PUT',
      ),
    allowed: is(401),
  },
  {
    name: 'management PUT with NUL in names, labels and values',
    send: (t) => {
      const bodies = [
        ['/v1/secrets/nul', '{"spec":{"stringData":{"k":"a\\u0000b"}}}'],
        ['/v1/secrets/nul', '{"spec":{"stringData":{"k\\u0000":"v"}}}'],
        ['/v1/webhooks/nul', '{"metadata":{"name":"nul\\u0000"},"spec":{"profile":"generic"}}'],
        [
          '/v1/webhooks/nul',
          '{"spec":{"profile":"generic","secretRef":{"name":"s","key":"k"},"start":{"workflowType":"w","taskQueue":"q","memo":{"x":"\\u0000"}}}}',
        ],
        ['/v1/webhooks/nul%00x', '{}'],
        ['/v1/webhooks/nul?namespace=a%00', '{}'],
        ['/v1/subscriptions/nul', '{"spec":{"url":"https://example.com/\\u0000","events":["*"]}}'],
      ] as const;
      const [path, body] = bodies[sequence++ % bodies.length]!;
      return post(
        t.url + path,
        body,
        { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
        'PUT',
      );
    },
    allowed: is(400),
  },
  {
    name: 'management reads with odd names and cursors',
    send: (t) => {
      const paths = [
        '/v1/webhooks/%ff%fe',
        '/v1/webhooks/a%00b/deliveries',
        '/v1/secrets/..%2f..',
        '/v1/webhooks?namespace=%00',
      ];
      return post(
        t.url + paths[sequence++ % paths.length]!,
        undefined,
        { authorization: `Bearer ${t.adminToken}` },
        'GET',
      );
    },
    allowed: is(400, 404),
  },
  // Raw sockets: what fetch will not send.
  {
    name: 'raw: headers over the 16 KiB limit',
    send: (t) => rawRequest(t.url, rawPost(t.startPath, [`X-Big: ${'a'.repeat(20_000)}`, 'Content-Length: 2'], '{}')),
    allowed: is(431, 400, 0),
  },
  {
    name: 'raw: 2,000 headers',
    send: (t) =>
      rawRequest(
        t.url,
        rawPost(t.startPath, [...Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`), 'Content-Length: 2'], '{}'),
      ),
    // Node keeps the first 2,000 (maxHeadersCount) when they fit in 16 KiB: unsigned, so 401.
    allowed: is(431, 400, 401, 0),
  },
  {
    name: 'raw: Content-Length larger than the body, then close',
    send: (t) =>
      rawRequest(
        t.url,
        rawPost(t.startPath, ['Content-Type: application/json', 'Content-Length: 1000'], '{"short":1}'),
        {
          halfClose: true,
        },
      ),
    allowed: clientErrorOrClosed,
  },
  {
    name: 'raw: Content-Length smaller than the body (the rest is a second, garbage request)',
    send: (t) =>
      rawRequest(
        t.url,
        rawPost(t.startPath, ['Content-Type: application/json', 'Content-Length: 2'], '{}GARBAGE / HTTP/1.1\r\n\r\n'),
      ),
    allowed: clientErrorOrClosed,
  },
  {
    name: 'raw: Content-Length and Transfer-Encoding together',
    send: (t) =>
      rawRequest(
        t.url,
        rawPost(t.startPath, ['Content-Length: 2', 'Transfer-Encoding: chunked'], '2\r\n{}\r\n0\r\n\r\n'),
      ),
    allowed: clientErrorOrClosed,
  },
  {
    name: 'raw: valid signed chunked delivery',
    valid: true,
    send: (t) => {
      const body = JSON.stringify({ chunked: true });
      const headers = signedHeaders(t.secret, body, eventId());
      const chunks = `${(5).toString(16)}\r\n${body.slice(0, 5)}\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`;
      return rawRequest(
        t.url,
        rawPost(
          t.startPath,
          [...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'Transfer-Encoding: chunked'],
          chunks,
        ),
      );
    },
    allowed: is(202),
  },
  {
    name: 'raw: malformed chunked bodies',
    send: (t) => {
      const bodies = [
        'zz\r\n{}\r\n0\r\n\r\n',
        '2\r\n{}0\r\n\r\n',
        `${'f'.repeat(20)}\r\n{}\r\n`,
        '2;ext=' + 'x'.repeat(20_000) + '\r\n{}\r\n0\r\n\r\n',
      ];
      return rawRequest(
        t.url,
        rawPost(t.startPath, ['Transfer-Encoding: chunked'], bodies[sequence++ % bodies.length]!),
      );
    },
    allowed: clientErrorOrClosed,
  },
  {
    name: 'raw: Transfer-Encoding smuggling variants',
    send: (t) => {
      const headers = [
        'Transfer-Encoding: chunked, identity',
        'Transfer-Encoding: xchunked',
        'Transfer-Encoding : chunked',
        'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked',
      ];
      return rawRequest(t.url, rawPost(t.startPath, [headers[sequence++ % headers.length]!], '2\r\n{}\r\n0\r\n\r\n'));
    },
    allowed: clientErrorOrClosed,
  },
  {
    name: 'raw: NUL and control bytes in the path and in header values',
    send: (t) => {
      const requests = [
        `POST /v1/webhook-deliveries/abc\0def HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`,
        `POST ${t.startPath} HTTP/1.1\r\nHost: x\r\nX-Event-Id: a\0b\r\nContent-Length: 2\r\n\r\n{}`,
        `POST ${t.startPath} HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}`,
        `POST ${t.startPath} HTTP/1.1\r\nHost: x\r\nX-Event-Id: a\x01\x7fb\r\nContent-Length: 2\r\n\r\n{}`,
      ];
      return rawRequest(t.url, requests[sequence++ % requests.length]!);
    },
    allowed: clientErrorOrClosed,
  },
  {
    name: 'raw: obs-text (bytes 0x80–0xff) in the event id header and path, signed',
    send: (t) => {
      const body = '{"latin1":true}';
      const headers = signedHeaders(t.secret, body, 'x');
      const request = Buffer.concat([
        Buffer.from(
          `POST ${t.startPath} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n`,
          'latin1',
        ),
        Buffer.from(
          `X-Timestamp: ${headers['x-timestamp']}\r\nX-Signature: ${headers['x-signature']}\r\nX-Event-Id: `,
          'latin1',
        ),
        Buffer.from([0xff, 0xfe, 0xc3, 0xa9, 0x80]),
        Buffer.from(`-${eventId()}\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'latin1'),
      ]);
      return rawRequest(t.url, request);
    },
    allowed: is(202, 400),
  },
  {
    name: 'raw: invalid UTF-8 in the path',
    send: (t) =>
      rawRequest(
        t.url,
        Buffer.concat([
          Buffer.from('POST /v1/webhook-deliveries/', 'latin1'),
          Buffer.from([0xff, 0xfe, 0xc0, 0xaf]),
          Buffer.from(' HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}', 'latin1'),
        ]),
      ),
    allowed: clientErrorOrClosed,
  },
  {
    name: 'raw: bogus methods, versions and request lines',
    send: (t) => {
      const requests = [
        `FOO ${t.startPath} HTTP/1.1\r\nHost: x\r\n\r\n`,
        `POST ${t.startPath} HTTP/9.9\r\nHost: x\r\n\r\n`,
        `POST ${t.startPath}\r\n\r\n`,
        `POST http://evil.example${t.startPath} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`,
        `POST * HTTP/1.1\r\nHost: x\r\n\r\n`,
        'GARBAGE\r\n\r\n',
        `CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n`,
      ];
      return rawRequest(t.url, requests[sequence++ % requests.length]!);
    },
    allowed: (status) => clientErrorOrClosed(status) || status === 404,
  },
];

/** A weighted draw: valid deliveries are ~1 in 5 requests, every hostile case equally likely among the rest. */
export function pickHostileCase(index: number): HostileCase {
  const valid = hostileCases.filter((c) => c.valid);
  const hostile = hostileCases.filter((c) => !c.valid);
  if (index % 5 === 0) return valid[(index / 5) % valid.length]!;
  return hostile[index % hostile.length]!;
}

export interface HostileRunResult {
  total: number;
  byStatus: Record<string, number>;
  /** Requests whose answer was not allowed for their case, by case and status. */
  unexpected: Record<string, number>;
  fiveHundreds: number;
  valid: { sent: number; accepted: number; p99Ms: number };
}

/** Sends `total` requests, `concurrency` at a time, and counts the answers. */
export async function runHostileRequests(
  target: HostileTarget,
  total: number,
  concurrency: number,
  onProgress?: (done: number, byStatus: Readonly<Record<string, number>>) => void,
): Promise<HostileRunResult> {
  const byStatus: Record<string, number> = {};
  const unexpected: Record<string, number> = {};
  const validLatencies: number[] = [];
  let validAccepted = 0;
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < total) {
      const index = next++;
      const hostileCase = pickHostileCase(index);
      const started = performance.now();
      let status: Status;
      try {
        status = await hostileCase.send(target);
      } catch {
        status = 0;
      }
      const label = status === 0 ? 'closed' : status === -1 ? 'timeout' : String(status);
      byStatus[label] = (byStatus[label] ?? 0) + 1;
      if (hostileCase.valid) {
        validLatencies.push(performance.now() - started);
        if (status === 202) validAccepted++;
      }
      if (!hostileCase.allowed(status)) {
        const key = `${hostileCase.name} → ${label}`;
        unexpected[key] = (unexpected[key] ?? 0) + 1;
      }
      if (++done % 1000 === 0) onProgress?.(done, byStatus);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  validLatencies.sort((a, b) => a - b);
  return {
    total,
    byStatus,
    unexpected,
    fiveHundreds: Object.entries(byStatus)
      .filter(([status]) => status.startsWith('5'))
      .reduce((sum, [, count]) => sum + count, 0),
    valid: {
      sent: validLatencies.length,
      accepted: validAccepted,
      p99Ms: Math.round(validLatencies[Math.floor(validLatencies.length * 0.99)] ?? 0),
    },
  };
}
