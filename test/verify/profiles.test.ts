/** The same behaviour, profile by profile: the contract every provider profile keeps. */
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TempohookError } from '../../src/errors';
import { getProfile, profileNames, profiles, type InboundRequest, type VerifyResult } from '../../src/verify';
import { at, fixtures, NOW, signedRequest, type ProfileFixture } from './fixtures';

function assertFails(result: VerifyResult, code?: string): void {
  assert.equal(result.ok, false, 'expected a failure');
  if (!result.ok && code) assert.equal(result.code, code, result.reason);
}

function withHeader(req: InboundRequest, name: string, value: string | undefined): InboundRequest {
  return { ...req, headers: { ...req.headers, [name]: value } };
}

function encodedJunk(f: ProfileFixture, bytes: number): string {
  return f.encoding === 'utf8' ? 'x'.repeat(bytes) : randomBytes(bytes).toString(f.encoding);
}

test('the registry holds the fifteen documented profiles, each by its name', () => {
  assert.deepEqual(profileNames, [
    'generic',
    'github',
    'stripe',
    'slack',
    'msteams',
    'sendgrid',
    'standard-webhooks',
    'gitlab',
    'shopify',
    'twilio',
    'zoom',
    'discord',
    'linear',
    'pagerduty',
    'bitbucket',
  ]);
  for (const profile of profiles) assert.equal(getProfile(profile.name), profile);
  assert.equal(getProfile('nope'), undefined);
  assert.deepEqual(
    fixtures.map((f) => f.profile.name),
    profileNames,
  );
});

test('profiles that sign no timestamp keep a 72 h dedup window', () => {
  for (const profile of profiles) {
    if (profile.defaultTimestampToleranceSeconds === undefined)
      assert.equal(profile.defaultDedupWindowSeconds, 72 * 3600, profile.name);
  }
  assert.equal(getProfile('generic')!.defaultDedupWindowSeconds, 24 * 3600);
  assert.equal(getProfile('generic')!.defaultTimestampToleranceSeconds, 300);
  assert.equal(getProfile('github')!.defaultTimestampToleranceSeconds, undefined);
  assert.equal(getProfile('linear')!.defaultTimestampToleranceSeconds, 60);
});

for (const f of fixtures) {
  const { profile } = f;
  describe(`verify(${profile.name})`, () => {
    test('accepts a delivery signed by its own sign()', () => {
      assert.deepEqual(profile.verify(signedRequest(f), [f.secret]), { ok: true });
    });

    const tampered = (req: InboundRequest): InboundRequest => {
      const body = Buffer.from(req.rawBody);
      body[5] = body[5]! ^ 0x01;
      return { ...req, rawBody: body };
    };
    if (f.signsBody === false) {
      test('authenticates the sender only: a changed body still passes (the provider signs no bytes)', () => {
        assert.deepEqual(profile.verify(tampered(signedRequest(f)), [f.secret]), { ok: true });
      });
    } else {
      test('rejects a body changed by one byte', () => {
        assertFails(profile.verify(tampered(signedRequest(f)), [f.secret]), 'signature_mismatch');
      });
    }

    test('rejects the wrong secret', () => {
      assertFails(profile.verify(signedRequest(f), [f.otherSecret]), 'signature_mismatch');
    });

    test('accepts during rotation when the second secret is the right one', () => {
      assert.deepEqual(profile.verify(signedRequest(f), [f.otherSecret, f.secret]), { ok: true });
      assert.deepEqual(profile.verify(signedRequest(f, { secret: f.otherSigningSecret }), [f.secret, f.otherSecret]), {
        ok: true,
      });
    });

    test('answers signature_missing when the signature header is absent or blank', () => {
      const req = signedRequest(f);
      assertFails(profile.verify(withHeader(req, f.signatureHeader, undefined), [f.secret]), 'signature_missing');
      assertFails(profile.verify(withHeader(req, f.signatureHeader, '   '), [f.secret]), 'signature_missing');
    });

    test('fails, never throws, on signatures of the wrong length, non-hex junk and non-ASCII', () => {
      const req = signedRequest(f);
      const junk = [
        encodedJunk(f, (f.signatureBytes ?? 71) - 1),
        encodedJunk(f, (f.signatureBytes ?? 71) + 1),
        'zz'.repeat(32),
        'é'.repeat(64), // stripe-node 23.1 throws a RangeError on this one
        '\u0000'.repeat(44),
        '==',
        '',
      ];
      for (const value of junk) {
        const result = profile.verify(withHeader(req, f.signatureHeader, f.formatSignature(value, NOW)), [f.secret]);
        assertFails(result);
      }
    });

    test('answers secret_invalid when no secret is configured', () => {
      assertFails(profile.verify(signedRequest(f), []), 'secret_invalid');
    });

    test('sign() is deterministic in the signed parts it writes', () => {
      const headers = profile.sign(f.signingSecret, {
        rawBody: Buffer.from(f.body(NOW)),
        eventId: 'evt-123',
        timestamp: NOW,
        url: f.url ?? 'https://x.test/',
      });
      assert.ok(headers[f.signatureHeader], `sign() writes ${f.signatureHeader}`);
      for (const name of Object.keys(headers)) assert.equal(name, name.toLowerCase());
    });

    if (f.timestamp) {
      const options = f.timestamp.staleOptions;
      test('rejects a stale timestamp as timestamp_out_of_tolerance', () => {
        const stale = signedRequest(f, { timestamp: NOW - 3600, receivedAt: at(NOW) });
        assertFails(profile.verify(stale, [f.secret], options), 'timestamp_out_of_tolerance');
      });

      test('accepts a timestamp just inside the tolerance, and any timestamp with an infinite one', () => {
        const tolerance = options?.timestampToleranceSeconds ?? profile.defaultTimestampToleranceSeconds!;
        const edge = signedRequest(f, { timestamp: NOW - tolerance, receivedAt: at(NOW) });
        assert.deepEqual(profile.verify(edge, [f.secret], options), { ok: true });
        const ancient = signedRequest(f, { timestamp: NOW - 10 * 365 * 86400, receivedAt: at(NOW) });
        assert.deepEqual(profile.verify(ancient, [f.secret], { timestampToleranceSeconds: Infinity }), { ok: true });
      });

      test('fails when the clock reading is not a date', () => {
        assertFails(
          profile.verify(signedRequest(f, { receivedAt: new Date(Number.NaN) }), [f.secret], options),
          'timestamp_out_of_tolerance',
        );
      });
    } else {
      test('signs no timestamp: an old delivery still verifies (dedup guards replay)', () => {
        assert.deepEqual(
          profile.verify(signedRequest(f, { timestamp: NOW - 30 * 86400, receivedAt: at(NOW) }), [f.secret]),
          { ok: true },
        );
      });
    }
  });
}

test('sign() with an unusable secret throws a TempohookError that does not quote the secret', () => {
  const input = { rawBody: Buffer.from('{}'), eventId: 'e', timestamp: NOW, url: 'https://x.test/' };
  const unusable: [string, string][] = [
    ['msteams', 'not base64 at all!'],
    ['standard-webhooks', 'whsec_***'],
    ['sendgrid', fixtures.find((f) => f.profile.name === 'sendgrid')!.secret], // a public key cannot sign
    ['discord', 'abc'],
    ['github', ''],
  ];
  for (const [name, secret] of unusable) {
    assert.throws(
      () => getProfile(name)!.sign(secret, input),
      (err: unknown) =>
        err instanceof TempohookError &&
        err.code === 'secret_invalid' &&
        (secret === '' || !err.message.includes(secret)),
      name,
    );
  }
});

test('verify() with only unusable secrets answers secret_invalid, with a usable one beside them it verifies', () => {
  const teams = fixtures.find((f) => f.profile.name === 'msteams')!;
  assertFails(teams.profile.verify(signedRequest(teams), ['%%%', '']), 'secret_invalid');
  assert.deepEqual(teams.profile.verify(signedRequest(teams), ['%%%', teams.secret]), { ok: true });
  const discord = fixtures.find((f) => f.profile.name === 'discord')!;
  assertFails(
    discord.profile.verify(signedRequest(discord), ['zz'.repeat(32), 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE']),
    'secret_invalid',
  );
});
