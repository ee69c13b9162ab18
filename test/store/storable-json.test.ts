import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storableJson } from '../../src/store/storable-json';

test('storableJson: U+0000 in keys and strings becomes U+FFFD; an escaped backslash before u0000 is text and stays', () => {
  const value = { 'k\u0000': ['a\u0000b', '\\u0000', '\\\u0000'], plain: 'x' };
  assert.deepEqual(JSON.parse(storableJson(value)), {
    'k\ufffd': ['a\ufffdb', '\\u0000', '\\\ufffd'],
    plain: 'x',
  });
  assert.equal(storableJson({ a: 1 }), '{"a":1}');
  assert.equal(storableJson(undefined), 'null');
});
