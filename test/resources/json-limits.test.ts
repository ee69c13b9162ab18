import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findNulCharacter, scanJsonDepth } from '../../src/resources/json-limits';

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);

describe('scanJsonDepth', () => {
  test('counts objects and arrays alike, and the deepest point, not the total', () => {
    assert.deepEqual(scanJsonDepth('{"a":[1,{"b":[]}],"c":{}}', 128), { ok: true, depth: 4 });
    assert.deepEqual(scanJsonDepth('[[],[],[[]]]', 128), { ok: true, depth: 3 });
    assert.deepEqual(scanJsonDepth('12', 128), { ok: true, depth: 0 });
  });

  test('exactly the limit passes; one more is refused at the bracket that crossed it', () => {
    assert.deepEqual(scanJsonDepth(nested(128), 128), { ok: true, depth: 128 });
    assert.deepEqual(scanJsonDepth(nested(129), 128), { ok: false, maxDepth: 128, offset: 128 });
    const objects = '{"a":'.repeat(129) + '1' + '}'.repeat(129);
    assert.equal(scanJsonDepth(objects, 128).ok, false);
  });

  test('brackets inside strings do not count, escaped quotes do not end the string', () => {
    assert.deepEqual(scanJsonDepth(`["${'['.repeat(500)}"]`, 2), { ok: true, depth: 1 });
    assert.deepEqual(scanJsonDepth(`["\\"${'{'.repeat(500)}"]`, 2), { ok: true, depth: 1 });
    // An escaped backslash ends the escape: the quote after it closes the string.
    assert.deepEqual(scanJsonDepth(`["\\\\",[[]]]`, 2), { ok: false, maxDepth: 2, offset: 7 });
    assert.deepEqual(scanJsonDepth('["\\u005b\\u007b"]', 1), { ok: true, depth: 1 });
  });

  test('bytes and strings give the same answer, multi-byte UTF-8 included', () => {
    const text = `{"é":["€${'['.repeat(10)}",[[{}]]]}`;
    assert.deepEqual(scanJsonDepth(Buffer.from(text), 128), scanJsonDepth(text, 128));
    assert.deepEqual(scanJsonDepth(Buffer.from(text), 128), { ok: true, depth: 5 });
  });

  test('10,000,000 levels scan without recursion; unbalanced closers never go negative', () => {
    assert.equal(scanJsonDepth(nested(10_000_000), 1_000_000_000).ok, true);
    assert.deepEqual(scanJsonDepth(']]]]][[', 128), { ok: true, depth: 2 });
  });
});

describe('findNulCharacter', () => {
  test('names the path of a string or key holding U+0000, or null', () => {
    assert.equal(findNulCharacter({ spec: { stringData: { token: 'a\u0000b' } } }), 'spec.stringData.token');
    assert.equal(findNulCharacter({ items: ['ok', { 'k\u0000': 1 }] }), 'items[1].k\\u0000');
    assert.equal(findNulCharacter('\u0000'), '(root)');
    assert.equal(findNulCharacter({ a: ['\\u0000 is only text here', 1, null, true] }), null);
  });

  test('walks 100,000 levels without recursion', () => {
    let value: unknown = '\u0000';
    for (let i = 0; i < 100_000; i++) value = [value];
    assert.match(findNulCharacter(value)!, /^(\[0\]){100000}$/);
  });
});
