/**
 * Replay safety across plugin versions, with histories checked in under test/fixtures/histories:
 * `plugin-v1-*` were recorded with the first notification design (a local-activity hand-off per
 * event, one `tempohookDeliverEvent` workflow per event) and must keep replaying on today's
 * workers, in-flight runs included.
 */
import { before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { TempohookPlugin } from '../../src/worker/plugin';
import { recordedHistories } from '../support/histories';
import { getTestTemporal, type TestTemporal } from '../support/temporal';

describe('histories recorded with the previous plugin (local-activity hand-off)', () => {
  let temporal: TestTemporal;
  before(async () => {
    temporal = await getTestTemporal();
  });

  for (const { name, history } of recordedHistories('plugin-v1-')) {
    test(`${name} replays with today's plugin`, async () => {
      await Worker.runReplayHistory(
        { workflowBundle: temporal.workflowBundle, plugins: [new TempohookPlugin()] },
        history,
      );
    });
  }
});
