/**
 * Replay safety across plugin versions, with histories checked in under test/fixtures/histories
 * (proto JSON from `temporal workflow show --output json`):
 * - `plugin-v1-*` were recorded with the first notification design (a local-activity hand-off
 *   per event behind a patch marker, one `tempohookDeliverEvent` workflow per event) and must
 *   keep replaying on today's workers, in-flight runs included;
 * - `plugin-v2-*` were recorded with today's plugin (events through a worker sink: nothing in
 *   the history) and must replay on a worker without the plugin, from a bundle without its
 *   interceptors: removing the plugin never breaks a run that ran with it;
 * - `handoff-v1-*`: a `tempohookDeliverEvent` the dispatcher started before retry workflows got a
 *   start delay (it waits on a timer first) and must keep replaying.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { TempohookPlugin } from '../../src/worker/plugin';
import { recordedHistories } from '../support/histories';
import { getTestTemporal, type TestTemporal } from '../support/temporal';

describe('histories recorded with earlier and current plugins', () => {
  let temporal: TestTemporal;
  let withoutPlugin: { code: string };
  before(async () => {
    temporal = await getTestTemporal();
    withoutPlugin = await bundleWorkflowCode({
      workflowsPath: require.resolve('../support/workflows'),
      logger: new DefaultLogger('WARN'),
    });
  });

  for (const { name, history } of recordedHistories('plugin-v1-')) {
    test(`${name} (first design) replays with today's plugin`, async () => {
      await Worker.runReplayHistory(
        { workflowBundle: temporal.workflowBundle, plugins: [new TempohookPlugin()] },
        history,
      );
    });
  }

  for (const { name, history } of recordedHistories('plugin-v2-')) {
    test(`${name} (today's plugin) has no marker, and replays with the plugin and without it`, async () => {
      assert.ok(!history.events!.some((e) => e.markerRecordedEventAttributes));
      await Worker.runReplayHistory(
        { workflowBundle: temporal.workflowBundle, plugins: [new TempohookPlugin()] },
        history,
      );
      await Worker.runReplayHistory({ workflowBundle: withoutPlugin }, history);
    });
  }

  for (const { name, history } of recordedHistories('handoff-v1-')) {
    test(`${name} (hand-off waiting on a timer) replays with today's plugin`, async () => {
      assert.ok(
        history.events!.some((e) => e.timerStartedEventAttributes),
        'recorded with the timer',
      );
      await Worker.runReplayHistory(
        { workflowBundle: temporal.workflowBundle, plugins: [new TempohookPlugin()] },
        history,
      );
    });
  }

  test('a first-design history does not replay without the plugin (why the first design kept the plugin in place)', async () => {
    const { history } = recordedHistories('plugin-v1-three-steps')[0]!;
    await assert.rejects(Worker.runReplayHistory({ workflowBundle: withoutPlugin }, history));
  });
});
