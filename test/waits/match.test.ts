/** The equality index keys and the `if` expressions of waits: pure functions, no server. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compileCondition, conditionHolds } from '../../src/waits/condition';
import {
  canonicalJson,
  compileMatch,
  deliveryMatchKey,
  InvalidWaitError,
  parseMatchPath,
  visibleHeaders,
} from '../../src/waits/match';

const subject = (payload: unknown, headers: Record<string, string> = {}) => ({ payload, headers });

describe('parseMatchPath', () => {
  test('accepts definite paths in dot, bracket and index form', () => {
    assert.deepEqual(parseMatchPath('$.repository.full_name'), {
      in: 'payload',
      segments: ['repository', 'full_name'],
    });
    assert.deepEqual(parseMatchPath('$[\'a b\']["c"].d'), { in: 'payload', segments: ['a b', 'c', 'd'] });
    assert.deepEqual(parseMatchPath('$.commits[0].id'), { in: 'payload', segments: ['commits', 0, 'id'] });
    assert.deepEqual(parseMatchPath('headers.X-GitHub-Event'), { in: 'headers', name: 'x-github-event' });
  });

  for (const bad of [
    '$.a.*',
    '$..x',
    '$.a[1:2]',
    '$.a[0,1]',
    '$.a[?(@.x)]',
    '$.a[-1]',
    '$.a.b[',
    '$',
    'repository.full_name',
    '$.a b',
    'headers.',
    'headers.authorization',
    'headers.X-Hub-Signature-256',
  ]) {
    test(`refuses ${JSON.stringify(bad)} and quotes it`, () => {
      assert.throws(
        () => parseMatchPath(bad),
        (err: unknown) => err instanceof InvalidWaitError && err.message.includes(JSON.stringify(bad)),
      );
    });
  }
});

describe('compileMatch and deliveryMatchKey', () => {
  test('a delivery has the match key of a wait exactly when every path holds its expected value', () => {
    const wait = compileMatch({ '$.repository.full_name': 'acme/repo', '$.ref': 'refs/heads/main' });
    const payload = { ref: 'refs/heads/main', repository: { full_name: 'acme/repo', id: 1 }, commits: [] };
    assert.equal(deliveryMatchKey(wait.pathSet, subject(payload)), wait.matchKey);
    assert.notEqual(deliveryMatchKey(wait.pathSet, subject({ ...payload, ref: 'refs/heads/dev' })), wait.matchKey);
    assert.equal(
      deliveryMatchKey(wait.pathSet, subject({ repository: { full_name: 'acme/repo' } })),
      null,
      'an absent path gives no key',
    );
  });

  test('the same paths written differently, in any order, are one path set', () => {
    const a = compileMatch({ '$.a.b': 1, 'headers.X-Kind': 'k' });
    const b = compileMatch({ 'headers.x-kind': 'k', "$['a']['b']": 1 });
    assert.equal(a.pathSet.key, b.pathSet.key);
    assert.equal(a.matchKey, b.matchKey);
  });

  test('values compare as JSON: object key order does not matter, types do', () => {
    const wait = compileMatch({ '$.o': { x: 1, y: [1, 'a'] } });
    assert.equal(deliveryMatchKey(wait.pathSet, subject({ o: { y: [1, 'a'], x: 1 } })), wait.matchKey);
    assert.notEqual(
      deliveryMatchKey(compileMatch({ '$.n': 1 }).pathSet, subject({ n: '1' })),
      compileMatch({ '$.n': 1 }).matchKey,
    );
    assert.notEqual(
      deliveryMatchKey(compileMatch({ '$.n': null }).pathSet, subject({})),
      compileMatch({ '$.n': null }).matchKey,
      'absent is not null',
    );
  });

  test('headers match case-insensitively by name', () => {
    const wait = compileMatch({ 'headers.X-GitHub-Event': 'push' });
    assert.equal(deliveryMatchKey(wait.pathSet, subject({}, { 'x-github-event': 'push' })), wait.matchKey);
  });

  test('an empty match matches every delivery', () => {
    const wait = compileMatch({});
    assert.equal(deliveryMatchKey(wait.pathSet, subject({ anything: true })), wait.matchKey);
  });

  test('different path sets never share a match key', () => {
    assert.notEqual(compileMatch({ '$.a': 'x' }).matchKey, compileMatch({ '$.b': 'x' }).matchKey);
    assert.notEqual(compileMatch({ '$.a': ['x', 'y'] }).matchKey, compileMatch({ '$.a': 'x', '$.b': 'y' }).matchKey);
  });

  test('refuses non-JSON values, non-string header values and duplicate paths', () => {
    assert.throws(() => compileMatch({ '$.a': undefined }), /"\$\.a"/);
    assert.throws(() => compileMatch({ '$.a': Number.NaN }), /"\$\.a"/);
    assert.throws(() => compileMatch({ 'headers.x-a': 1 }), /must be a string/);
    assert.throws(() => compileMatch({ '$.a': 1, "$['a']": 1 }), /same field/);
    assert.throws(() => compileMatch([]), /object/);
  });

  test("property: a payload built from the match always yields the wait's key", () => {
    const key = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);
    fc.assert(
      fc.property(fc.dictionary(key, fc.jsonValue(), { minKeys: 1, maxKeys: 5 }), fc.jsonValue(), (fields, noise) => {
        const match = Object.fromEntries(
          Object.entries(fields).map(([k, v]) => [`$.root.${k}`, JSON.parse(JSON.stringify(v))]),
        );
        const wait = compileMatch(match);
        const payload = { root: JSON.parse(JSON.stringify(fields)), noise };
        return deliveryMatchKey(wait.pathSet, subject(payload)) === wait.matchKey;
      }),
      { numRuns: 300 },
    );
  });
});

test('canonicalJson sorts keys at every depth', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } }),
    '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
  );
});

test('visibleHeaders drops credentials and keeps the rest, lower-cased', () => {
  assert.deepEqual(
    visibleHeaders({
      'X-GitHub-Event': 'push',
      'x-hub-signature-256': 's',
      authorization: 'Bearer t',
      cookie: 'c',
      'stripe-signature': 's',
      'x-api-key': 'k',
      'content-type': 'application/json',
    }),
    {
      'x-github-event': 'push',
      'content-type': 'application/json',
    },
  );
});

describe('if expressions (CEL)', () => {
  const ctx = {
    payload: { action: 'closed', commits: [1, 2], pull_request: { merged: true } },
    headers: { 'x-github-event': 'pull_request' },
    vars: { min: 2 },
    source: 'pull_request',
    eventId: 'e1',
  };

  test('evaluate over payload, headers, vars, source and eventId', () => {
    assert.equal(conditionHolds('payload.action == "closed" && payload.pull_request.merged', ctx), true);
    assert.equal(conditionHolds('size(payload.commits) >= vars.min && headers["x-github-event"] == source', ctx), true);
    assert.equal(conditionHolds('eventId == "e2"', ctx), false);
  });

  test('an evaluation error (a missing key) is false, never a throw', () => {
    assert.equal(conditionHolds('payload.nope.deeper == 1', ctx), false);
  });

  test('a malformed, unknown-variable or non-boolean expression is refused at compile time, quoted', () => {
    assert.throws(() => compileCondition('payload.action == '), /does not parse/);
    assert.throws(() => compileCondition('user.age > 1'), /user/);
    assert.throws(() => compileCondition('"text"'), /not bool/);
  });
});
