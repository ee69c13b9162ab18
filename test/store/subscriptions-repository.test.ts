import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestStore, describeEachBackend, type TestStore } from '../support/db';

describeEachBackend('subscriptions repository: statuses of settings-file subscriptions', (backend) => {
  let store: TestStore;

  before(async () => {
    store = await createTestStore({ databaseUrl: backend.databaseUrl });
  });
  after(async () => {
    await store?.dropSchema();
  });

  test('register creates empty statuses once, keeps existing ones; statuses(prefix) lists them in key order', async () => {
    await store.subscriptions.recordFinalFailure('settings/b', 'receiver answered HTTP 410', 1, new Date());
    await store.subscriptions.register(['settings/b', 'settings/a']);
    await store.subscriptions.register([]);
    await store.subscriptions.recordSuccess('default/api-one', 200, new Date());
    const listed = await store.subscriptions.statuses('settings/');
    assert.deepEqual(
      listed.map((s) => [s.key, s.consecutiveFailures, s.disabledAt !== null, s.deliveriesFailed]),
      [
        ['settings/a', 0, false, 0],
        ['settings/b', 1, true, 1],
      ],
    );
  });

  test('reenable clears the disabled state and the failure count, and says whether there was a status', async () => {
    assert.equal(await store.subscriptions.reenable('settings/b'), true);
    const status = await store.subscriptions.status('settings/b');
    assert.equal(status?.disabledAt, null);
    assert.equal(status?.consecutiveFailures, 0);
    assert.equal(status?.deliveriesFailed, 1, 'the totals stay');
    assert.equal(await store.subscriptions.reenable('settings/never'), false);
  });
});
