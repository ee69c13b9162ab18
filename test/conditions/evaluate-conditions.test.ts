/** evaluateConditions over each condition type: pass, fail, missing, wrong length, prefixes, JWT algorithms and claims. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { conditionsSpec, evaluateConditions } from '../../src/conditions';
import type { InboundRequest } from '../../src/verify';

const NOW = new Date('2026-03-01T12:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const SECRET = 'condition-secret-0123456789';
const REF = { name: 's', key: 'k' };

function request(options: { headers?: Record<string, string>; body?: string; query?: string } = {}): InboundRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    rawBody: Buffer.from(options.body ?? '{"a":1}'),
    headers,
    url: `https://hooks.example.com/v1/webhook-deliveries/x${options.query ?? ''}`,
    receivedAt: NOW,
  };
}

/** Parses the condition through the schema (as the ingress does), then evaluates it alone. */
async function run(condition: unknown, req: InboundRequest, options: { secrets?: string[]; payload?: unknown } = {}) {
  const [parsed] = conditionsSpec.parse([condition]);
  return evaluateConditions([parsed!], {
    inbound: req,
    payload: options.payload,
    secrets: [options.secrets ?? [SECRET]],
    now: NOW,
  });
}

const hmacHex = (algorithm: string, data: string, secret = SECRET) =>
  createHmac(algorithm, secret).update(data).digest('hex');

describe('static-token', () => {
  const condition = { type: 'static-token', lookup: { in: 'header', name: 'X-Token' }, secretRef: REF };
  test('passes with the configured token and fails with another', async () => {
    assert.deepEqual(await run(condition, request({ headers: { 'x-token': SECRET } })), { ok: true });
    const wrong = await run(condition, request({ headers: { 'x-token': SECRET.replace('0', '1') } }));
    assert.equal(wrong.ok, false);
    assert.equal(!wrong.ok && wrong.code, 'condition_mismatch');
    assert.ok(!wrong.ok && !wrong.reason.includes(SECRET), 'the reason never carries the secret');
  });
  test('a token of another length fails without throwing', async () => {
    for (const token of ['x', SECRET + 'x', 'é'.repeat(200)]) {
      const result = await run(condition, request({ headers: { 'x-token': token } }));
      assert.equal(!result.ok && result.code, 'condition_mismatch');
    }
  });
  test('a missing token fails as missing', async () => {
    const result = await run(condition, request());
    assert.equal(!result.ok && result.code, 'condition_value_missing');
    assert.match(!result.ok ? result.reason : '', /^conditions\[0\] \(static-token\): header X-Token missing$/);
  });
  test('the prefix is required and stripped', async () => {
    const prefixed = { ...condition, lookup: { in: 'header', name: 'Authorization' }, prefix: 'Bearer ' };
    assert.deepEqual(await run(prefixed, request({ headers: { authorization: `Bearer ${SECRET}` } })), { ok: true });
    assert.deepEqual(await run(prefixed, request({ headers: { authorization: `bearer ${SECRET}` } })), { ok: true });
    const bare = await run(prefixed, request({ headers: { authorization: SECRET } }));
    assert.equal(!bare.ok && bare.code, 'condition_value_malformed');
    const empty = await run(prefixed, request({ headers: { authorization: 'Bearer ' } }));
    assert.equal(empty.ok, false);
  });
  test('any one of several secrets passes (rotation)', async () => {
    assert.deepEqual(
      await run(condition, request({ headers: { 'x-token': 'new-token' } }), { secrets: ['old-token', 'new-token'] }),
      { ok: true },
    );
  });
  test('the token is read from the query string, a form body or a top-level JSON key', async () => {
    const query = { ...condition, lookup: { in: 'query', name: 'token' } };
    assert.deepEqual(await run(query, request({ query: `?token=${SECRET}&x=1` })), { ok: true });
    assert.equal((await run(query, request({ query: '?x=1' }))).ok, false);
    const form = { ...condition, lookup: { in: 'form', name: 'token' } };
    const formBody = `team=t1&token=${SECRET}`;
    assert.deepEqual(
      await run(form, request({ body: formBody, headers: { 'content-type': 'application/x-www-form-urlencoded' } })),
      { ok: true },
    );
    assert.equal(
      (await run(form, request({ body: formBody, headers: { 'content-type': 'text/plain' } }))).ok,
      false,
      'form lookups read URL-encoded bodies only',
    );
    const json = { ...condition, lookup: { in: 'json', name: 'clientState' } };
    assert.deepEqual(await run(json, request(), { payload: { clientState: SECRET } }), { ok: true });
    assert.equal((await run(json, request(), { payload: { nested: { clientState: SECRET } } })).ok, false);
    assert.equal((await run(json, request(), { payload: undefined })).ok, false, 'an unparsed body has no JSON keys');
  });
  test('no usable secret fails', async () => {
    const result = await run(condition, request({ headers: { 'x-token': SECRET } }), { secrets: [] });
    assert.equal(!result.ok && result.code, 'condition_secret_unavailable');
  });
});

describe('hmac', () => {
  const base = {
    type: 'hmac',
    lookup: { in: 'header', name: 'X-Sig' },
    algorithm: 'sha256',
    encoding: 'hex',
    secretRef: REF,
  };
  const body = '{"event":"build"}';
  test('over the raw body by default, for sha1, sha256 and sha512', async () => {
    for (const algorithm of ['sha1', 'sha256', 'sha512']) {
      const condition = { ...base, algorithm };
      assert.deepEqual(
        await run(condition, request({ body, headers: { 'x-sig': hmacHex(algorithm, body) } })),
        { ok: true },
        algorithm,
      );
      const tampered = await run(
        condition,
        request({ body: body + ' ', headers: { 'x-sig': hmacHex(algorithm, body) } }),
      );
      assert.equal(!tampered.ok && tampered.code, 'condition_mismatch', algorithm);
    }
  });
  test('base64 with a prefix', async () => {
    const condition = { ...base, encoding: 'base64', prefix: 'sha256=' };
    const signature = createHmac('sha256', SECRET).update(body).digest('base64');
    assert.deepEqual(await run(condition, request({ body, headers: { 'x-sig': `sha256=${signature}` } })), {
      ok: true,
    });
    const unprefixed = await run(condition, request({ body, headers: { 'x-sig': signature } }));
    assert.equal(!unprefixed.ok && unprefixed.code, 'condition_value_malformed');
  });
  test('a basestring of a header, a query parameter, literals and the body', async () => {
    const condition = { ...base, basestring: 'v0:{header:X-Timestamp}:{query:id}.{body}' };
    const signed = `v0:1700000000:42.${body}`;
    const headers = { 'x-timestamp': '1700000000', 'x-sig': hmacHex('sha256', signed) };
    assert.deepEqual(await run(condition, request({ body, headers, query: '?id=42' })), { ok: true });
    const otherId = await run(condition, request({ body, headers, query: '?id=43' }));
    assert.equal(!otherId.ok && otherId.code, 'condition_mismatch');
    const noHeader = await run(condition, request({ body, headers: { 'x-sig': headers['x-sig'] }, query: '?id=42' }));
    assert.equal(!noHeader.ok && noHeader.code, 'condition_value_missing');
    assert.match(!noHeader.ok ? noHeader.reason : '', /header x-timestamp/);
    const noQuery = await run(condition, request({ body, headers }));
    assert.equal(!noQuery.ok && noQuery.code, 'condition_value_missing');
  });
  test('signatures of the wrong length or encoding are malformed, never a throw', async () => {
    const good = hmacHex('sha256', body);
    for (const sig of [good.slice(0, 40), good + 'ab', 'zz' + good.slice(2), hmacHex('sha1', body), 'é'.repeat(64)]) {
      const result = await run(base, request({ body, headers: { 'x-sig': sig } }));
      assert.equal(!result.ok && result.code, 'condition_value_malformed', sig);
    }
  });
  test('a missing signature fails as missing', async () => {
    const result = await run(base, request({ body }));
    assert.equal(!result.ok && result.code, 'condition_value_missing');
  });
  test('the schema refuses unknown basestring placeholders', () => {
    const parsed = conditionsSpec.safeParse([{ ...base, basestring: '{timestamp}.{body}' }]);
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error?.issues), /unknown placeholder \{timestamp\}/);
  });
});

describe('jwt', () => {
  const base = { type: 'jwt', algorithms: ['HS256'], secretRef: REF };
  const hsKey = new TextEncoder().encode(SECRET);
  const sign = (
    alg: string,
    key: Parameters<SignJWT['sign']>[0],
    claims: Record<string, unknown> = {},
    exp: number = NOW_S + 300,
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg })
      .setIssuedAt(NOW_S - 10)
      .setExpirationTime(exp)
      .sign(key);
  const bearer = (token: string) => request({ headers: { authorization: `Bearer ${token}` } });

  test('HS256 with the shared secret passes; another secret fails', async () => {
    assert.deepEqual(await run(base, bearer(await sign('HS256', hsKey))), { ok: true });
    const wrong = await run(
      base,
      bearer(await sign('HS256', new TextEncoder().encode('another-secret-0123456789abcdef'))),
    );
    assert.equal(!wrong.ok && wrong.code, 'condition_jwt_invalid');
    assert.match(!wrong.ok ? wrong.reason : '', /signature does not verify/);
  });
  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    test(`${alg} with a PEM SPKI and with a JWK public key`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const token = await sign(alg, privateKey);
      const pem = await exportSPKI(publicKey);
      const jwk = JSON.stringify(await exportJWK(publicKey));
      for (const secret of [pem, jwk])
        assert.deepEqual(
          await run({ ...base, algorithms: [alg] }, bearer(token), { secrets: [secret] }),
          { ok: true },
          secret.slice(0, 20),
        );
      const other = await generateKeyPair(alg, { extractable: true });
      const wrongKey = await run({ ...base, algorithms: [alg] }, bearer(token), {
        secrets: [await exportSPKI(other.publicKey)],
      });
      assert.equal(wrongKey.ok, false);
    });
  }
  test('an expired token fails, unless within the clock tolerance', async () => {
    const token = await sign('HS256', hsKey, {}, NOW_S - 30);
    const expired = await run(base, bearer(token));
    assert.match(!expired.ok ? expired.reason : '', /token expired/);
    assert.deepEqual(await run({ ...base, clockToleranceSeconds: 60 }, bearer(token)), { ok: true });
  });
  test('a token not yet valid (nbf) fails', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setNotBefore(NOW_S + 600)
      .setExpirationTime(NOW_S + 900)
      .sign(hsKey);
    assert.equal((await run(base, bearer(token))).ok, false);
  });
  test('an algorithm not pinned fails, and alg none always fails', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const es = await sign('ES256', privateKey);
    const notPinned = await run({ ...base, algorithms: ['RS256'] }, bearer(es), {
      secrets: [await exportSPKI(publicKey)],
    });
    assert.equal(!notPinned.ok && notPinned.code, 'condition_jwt_invalid');
    const none = new UnsecuredJWT({ sub: 'x' })
      .setIssuedAt(NOW_S)
      .setExpirationTime(NOW_S + 300)
      .encode();
    const unsecured = await run(base, bearer(none));
    assert.equal(!unsecured.ok && unsecured.code, 'condition_jwt_invalid');
  });
  test('HS256 "signed" with the public key text does not pass an RS256 key (algorithm confusion)', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const forged = await sign('HS256', new TextEncoder().encode(pem));
    const result = await run({ ...base, algorithms: ['HS256', 'RS256'] }, bearer(forged), { secrets: [pem] });
    assert.equal(!result.ok && result.code, 'condition_jwt_invalid');
  });
  test('issuer and audience must match when configured', async () => {
    const token = await sign('HS256', hsKey, { iss: 'https://issuer.example', aud: 'tempohook' });
    assert.deepEqual(await run({ ...base, issuer: 'https://issuer.example', audience: 'tempohook' }, bearer(token)), {
      ok: true,
    });
    const badIss = await run({ ...base, issuer: 'https://other.example' }, bearer(token));
    assert.match(!badIss.ok ? badIss.reason : '', /claim "iss"/);
    const badAud = await run({ ...base, audience: 'someone-else' }, bearer(token));
    assert.match(!badAud.ok ? badAud.reason : '', /claim "aud"/);
  });
  test('missing, unprefixed and garbage tokens fail without throwing', async () => {
    const token = await sign('HS256', hsKey);
    assert.equal(!(await run(base, request())).ok && 'missing', 'missing');
    const unprefixed = await run(base, request({ headers: { authorization: token } }));
    assert.equal(!unprefixed.ok && unprefixed.code, 'condition_value_malformed');
    for (const junk of ['x', 'a.b.c', 'é.é.é', token.slice(0, -3)])
      assert.equal((await run(base, bearer(junk))).ok, false, junk);
  });
  test('a custom lookup has no default prefix', async () => {
    const token = await sign('HS256', hsKey);
    assert.deepEqual(
      await run({ ...base, lookup: { in: 'query', name: 'jwt' } }, request({ query: `?jwt=${token}` })),
      { ok: true },
    );
  });
});

describe('headers', () => {
  const condition = { type: 'headers', headers: { 'X-Tenant': 'acme', 'X-Source': 'ci' } };
  test('every header must equal its value', async () => {
    assert.deepEqual(await run(condition, request({ headers: { 'x-tenant': 'acme', 'x-source': 'ci' } })), {
      ok: true,
    });
    const wrong = await run(condition, request({ headers: { 'x-tenant': 'acme', 'x-source': 'cd' } }));
    assert.equal(!wrong.ok && wrong.code, 'condition_mismatch');
    assert.ok(!wrong.ok && !wrong.reason.includes('ci'), 'the expected value is not echoed');
    const longer = await run(condition, request({ headers: { 'x-tenant': 'acme-corp', 'x-source': 'ci' } }));
    assert.equal(longer.ok, false);
    const missing = await run(condition, request({ headers: { 'x-tenant': 'acme' } }));
    assert.equal(!missing.ok && missing.code, 'condition_value_missing');
  });
});

describe('timestamp', () => {
  const condition = { type: 'timestamp', lookup: { in: 'header', name: 'X-Timestamp' }, toleranceSeconds: 300 };
  test('seconds and milliseconds are detected; outside the window fails', async () => {
    assert.deepEqual(await run(condition, request({ headers: { 'x-timestamp': String(NOW_S - 100) } })), { ok: true });
    assert.deepEqual(await run(condition, request({ headers: { 'x-timestamp': String(NOW.getTime() - 100_000) } })), {
      ok: true,
    });
    for (const stale of [NOW_S - 301, NOW_S + 301]) {
      const result = await run(condition, request({ headers: { 'x-timestamp': String(stale) } }));
      assert.equal(!result.ok && result.code, 'condition_timestamp_out_of_tolerance');
    }
  });
  test('an explicit unit is honoured', async () => {
    assert.equal(
      (await run({ ...condition, unit: 'ms' }, request({ headers: { 'x-timestamp': String(NOW_S) } }))).ok,
      false,
    );
    assert.deepEqual(await run({ ...condition, unit: 's' }, request({ headers: { 'x-timestamp': String(NOW_S) } })), {
      ok: true,
    });
  });
  test('missing and non-numeric timestamps fail', async () => {
    assert.equal(((r) => !r.ok && r.code)(await run(condition, request())), 'condition_value_missing');
    assert.equal(
      ((r) => !r.ok && r.code)(await run(condition, request({ headers: { 'x-timestamp': '2026-03-01' } }))),
      'condition_timestamp_invalid',
    );
  });
  test('a JSON number is read from the body', async () => {
    assert.deepEqual(
      await run({ ...condition, lookup: { in: 'json', name: 'ts' } }, request(), { payload: { ts: NOW.getTime() } }),
      { ok: true },
    );
  });
});

test('all conditions must hold; the first failure is reported with its index', async () => {
  const conditions = conditionsSpec.parse([
    { type: 'headers', headers: { 'X-Tenant': 'acme' } },
    { type: 'static-token', lookup: { in: 'header', name: 'X-Token' }, secretRef: REF },
  ]);
  const ctx = (headers: Record<string, string>) => ({
    inbound: request({ headers }),
    payload: undefined,
    secrets: [[], [SECRET]],
    now: NOW,
  });
  assert.deepEqual(await evaluateConditions(conditions, ctx({ 'x-tenant': 'acme', 'x-token': SECRET })), { ok: true });
  const second = await evaluateConditions(conditions, ctx({ 'x-tenant': 'acme', 'x-token': 'nope' }));
  assert.match(!second.ok ? second.reason : '', /^conditions\[1\] \(static-token\)/);
  assert.deepEqual(await evaluateConditions(undefined, ctx({})), { ok: true });
});
