import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createSecretsRepository, parseSecretKey } from '../../src/store';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

const KEY = randomBytes(32).toString('base64');
const OTHER_KEY = randomBytes(32).toString('hex');
const VALUE = 'whsec_' + randomBytes(16).toString('hex');

describeEachBackend('secrets repository', (backend) => {
  let store: TestStore;

  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl });
  });
  after(async () => {
    await store?.dropSchema();
  });

  async function rawRow(namespace: string, name: string): Promise<{ data: string; encrypted: boolean }> {
    return (
      await store.db.query('SELECT data::text AS data, encrypted FROM secrets WHERE namespace = $1 AND name = $2', [
        namespace,
        name,
      ])
    ).rows[0];
  }

  test('put then get round-trips the data (no key: stored in clear, marked so)', async () => {
    const put = await store.secrets.put('default', 'plain', { token: VALUE, other: 'x' });
    assert.deepEqual(put.data, { token: VALUE, other: 'x' });
    const got = await store.secrets.get('default', 'plain');
    assert.deepEqual(got?.data, { token: VALUE, other: 'x' });
    assert.ok(got?.createdAt instanceof Date);
    const raw = await rawRow('default', 'plain');
    assert.equal(raw.encrypted, false);
    assert.ok(raw.data.includes(VALUE));
  });

  test('put replaces the data and keeps createdAt', async () => {
    const first = await store.secrets.put('default', 'replace', { a: '1' });
    const second = await store.secrets.put('default', 'replace', { b: '2' });
    assert.deepEqual((await store.secrets.get('default', 'replace'))?.data, { b: '2' });
    assert.equal(second.createdAt.getTime(), first.createdAt.getTime());
    assert.ok(second.updatedAt.getTime() >= first.updatedAt.getTime());
  });

  test('get of a missing secret is null; delete says whether it deleted', async () => {
    assert.equal(await store.secrets.get('default', 'missing'), null);
    await store.secrets.put('default', 'doomed', { a: '1' });
    assert.equal(await store.secrets.delete('default', 'doomed'), true);
    assert.equal(await store.secrets.delete('default', 'doomed'), false);
    assert.equal(await store.secrets.get('default', 'doomed'), null);
  });

  test('list filters by namespace and orders by name', async () => {
    await store.secrets.put('team-b', 'z', { a: '1' });
    await store.secrets.put('team-b', 'a', { a: '2' });
    await store.secrets.put('team-c', 'm', { a: '3' });
    assert.deepEqual(
      (await store.secrets.list('team-b')).map((s) => s.name),
      ['a', 'z'],
    );
    const all = (await store.secrets.list()).map((s) => `${s.namespace}/${s.name}`);
    assert.ok(all.includes('team-b/a') && all.includes('team-c/m'));
  });

  test('with a key the value is encrypted at rest and decrypts on read', async () => {
    const secrets = createSecretsRepository(store.db, { encryptionKey: KEY });
    await secrets.put('default', 'sealed', { token: VALUE });
    const raw = await rawRow('default', 'sealed');
    assert.equal(raw.encrypted, true);
    assert.ok(!raw.data.includes(VALUE), 'the raw row must not contain the value');
    assert.ok(!raw.data.includes('token'), 'nor the key names');
    assert.deepEqual((await secrets.get('default', 'sealed'))?.data, { token: VALUE });
    // Two writes of the same data use different nonces.
    await secrets.put('default', 'sealed', { token: VALUE });
    assert.notEqual((await rawRow('default', 'sealed')).data, raw.data);
  });

  test('reading with the wrong key or no key fails clearly, without the value', async () => {
    const secrets = createSecretsRepository(store.db, { encryptionKey: KEY });
    await secrets.put('default', 'locked', { token: VALUE });
    const wrong = createSecretsRepository(store.db, { encryptionKey: OTHER_KEY });
    await assert.rejects(wrong.get('default', 'locked'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'secret_key_mismatch');
      assert.match(err.message, /default\/locked/);
      assert.match(err.message, /TEMPOHOOK_SECRET_KEY/);
      assert.ok(!err.message.includes(VALUE));
      return true;
    });
    const none = createSecretsRepository(store.db);
    await assert.rejects(none.get('default', 'locked'), { code: 'secret_key_missing' });
  });

  test('an encrypted row copied under another name does not decrypt', async () => {
    const secrets = createSecretsRepository(store.db, { encryptionKey: KEY });
    await secrets.put('default', 'original', { token: VALUE });
    await store.db.query(
      `INSERT INTO secrets (namespace, name, data, encrypted) SELECT namespace, 'copy', data, encrypted FROM secrets WHERE namespace = 'default' AND name = 'original'`,
    );
    await assert.rejects(secrets.get('default', 'copy'), { code: 'secret_key_mismatch' });
  });

  test('a row written in clear stays readable after a key is configured', async () => {
    await store.secrets.put('default', 'legacy', { token: VALUE });
    const secrets = createSecretsRepository(store.db, { encryptionKey: KEY });
    assert.deepEqual((await secrets.get('default', 'legacy'))?.data, { token: VALUE });
  });

  test('non-string values are refused', async () => {
    await assert.rejects(store.secrets.put('default', 'bad', { n: 1 } as unknown as Record<string, string>), {
      code: 'invalid_secret',
      status: 400,
    });
  });
});

test('parseSecretKey accepts 32 bytes as base64, base64url or hex and refuses anything else', () => {
  const bytes = randomBytes(32);
  assert.deepEqual(parseSecretKey(bytes.toString('base64')), bytes);
  assert.deepEqual(parseSecretKey(bytes.toString('base64url')), bytes);
  assert.deepEqual(parseSecretKey(bytes.toString('hex')), bytes);
  assert.throws(() => parseSecretKey(randomBytes(16).toString('base64')), { code: 'secret_key_invalid' });
  assert.throws(
    () => parseSecretKey('correct horse battery staple'),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'secret_key_invalid');
      assert.match(err.message, /openssl rand -base64 32/);
      assert.ok(!err.message.includes('horse'));
      return true;
    },
  );
});
