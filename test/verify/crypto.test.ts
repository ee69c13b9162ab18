/** The shared primitives: strict decoding, length-safe comparison, list splitting, timestamps. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  checkTolerance,
  decodeBase64,
  decodeHex,
  hmac,
  parseUnixTimestamp,
  safeEqual,
  splitSignatureList,
} from '../../src/verify/crypto';
import { at } from './fixtures';

test('hmac hashes its parts in order, as one message', () => {
  const expected = createHmac('sha256', 'k').update('1700000000.{"a":1}').digest();
  assert.deepEqual(hmac('sha256', 'k', ['1700000000', '.', Buffer.from('{"a":1}')]), expected);
  assert.deepEqual(hmac('sha256', 'k', '1700000000.{"a":1}'), expected);
  assert.equal(hmac('sha1', Buffer.from('k'), 'x').length, 20);
});

test('safeEqual compares bytes and answers false, not RangeError, on unequal lengths', () => {
  assert.equal(safeEqual(Buffer.from('abc'), Buffer.from('abc')), true);
  assert.equal(safeEqual(Buffer.from('abc'), Buffer.from('abd')), false);
  assert.equal(safeEqual(Buffer.from('abc'), Buffer.from('abcd')), false);
  assert.equal(safeEqual(Buffer.alloc(0), Buffer.alloc(0)), true);
  // 64 JS characters but 128 bytes: the stripe-node pitfall.
  assert.equal(safeEqual(Buffer.from('é'.repeat(64)), Buffer.alloc(64)), false);
});

test('decodeHex rejects what Buffer.from(…, "hex") would silently truncate', () => {
  assert.deepEqual(decodeHex('00ff'), Buffer.from([0, 255]));
  assert.deepEqual(decodeHex('00FF'), Buffer.from([0, 255]));
  for (const bad of ['', '0', '0g', 'zz', '00 ff', 'é0', '0ff'])
    assert.equal(decodeHex(bad), undefined, JSON.stringify(bad));
});

test('decodeBase64 accepts canonical base64 (padding optional) and rejects junk', () => {
  assert.deepEqual(decodeBase64('AAE='), Buffer.from([0, 1]));
  assert.deepEqual(decodeBase64('AAE'), Buffer.from([0, 1]));
  assert.deepEqual(decodeBase64('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')?.length, 24);
  for (const bad of ['', 'A', '====', 'AA=E', 'AAF=', 'AA-_', 'AA E', 'é', 'AAE=='])
    assert.equal(decodeBase64(bad), undefined, JSON.stringify(bad));
});

test('splitSignatureList reads Stripe, Standard Webhooks and PagerDuty headers', () => {
  assert.deepEqual(splitSignatureList('t=1,v1=aa,v1=bb,v0=cc', ',', '='), [
    ['t', '1'],
    ['v1', 'aa'],
    ['v1', 'bb'],
    ['v0', 'cc'],
  ]);
  assert.deepEqual(splitSignatureList('v1,AAA= v1a,BBB=  v1,CCC=', ' ', ','), [
    ['v1', 'AAA='],
    ['v1a', 'BBB='],
    ['v1', 'CCC='],
  ]);
  assert.deepEqual(splitSignatureList('v1=aa,v1=bb', ',', '='), [
    ['v1', 'aa'],
    ['v1', 'bb'],
  ]);
  // Node joins repeated header lines with ", ".
  assert.deepEqual(splitSignatureList('t=1,v1=a, t=2,v1=b', ',', '='), [
    ['t', '1'],
    ['v1', 'a'],
    ['t', '2'],
    ['v1', 'b'],
  ]);
  assert.deepEqual(splitSignatureList('junk,=x,,v1', ',', '='), []);
});

test('parseUnixTimestamp takes seconds, milliseconds where asked, and nothing odd', () => {
  assert.equal(parseUnixTimestamp('1700000000'), 1700000000);
  assert.equal(parseUnixTimestamp(1700000000123, 'ms'), 1700000000.123);
  assert.equal(parseUnixTimestamp('1700000000123', 'auto'), 1700000000.123);
  assert.equal(parseUnixTimestamp('1700000000', 'auto'), 1700000000);
  for (const bad of [
    '',
    ' 1',
    '1e9',
    '-1',
    '1.5',
    '0x10',
    '１２３',
    '99999999999999999',
    1.5,
    -1,
    Number.NaN,
    null,
    undefined,
    {},
  ]) {
    assert.equal(parseUnixTimestamp(bad), undefined, JSON.stringify(bad) ?? 'undefined');
  }
});

test('checkTolerance: inclusive window, future optional, NaN always fails', () => {
  const now = at(1000);
  assert.equal(checkTolerance(700, now, 300).ok, true);
  assert.equal(checkTolerance(699, now, 300).ok, false);
  assert.equal(checkTolerance(1300, now, 300).ok, true);
  assert.equal(checkTolerance(1301, now, 300).ok, false);
  assert.equal(checkTolerance(99999, now, 300, { futureAllowed: true }).ok, true);
  assert.equal(checkTolerance(699, now, 300, { futureAllowed: true }).ok, false);
  assert.equal(checkTolerance(1000, new Date(Number.NaN), 300).ok, false);
  assert.equal(checkTolerance(Number.NaN, now, 300).ok, false);
  assert.equal(checkTolerance(1000, now, Number.NaN).ok, false);
  assert.equal(checkTolerance(0, now, Infinity).ok, true);
  const result = checkTolerance(0, now, 300);
  assert.deepEqual(result, {
    ok: false,
    code: 'timestamp_out_of_tolerance',
    reason: 'timestamp outside the allowed window',
  });
});
