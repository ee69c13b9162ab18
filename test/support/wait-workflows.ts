/** Test workflows that wait on webhooks (bundled with the other test workflows). Workflow code. */
import { CancellationScope, continueAsNew, executeChild, sleep, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { waitForWebhook, type WaitForWebhookOptions, type WaitForWebhookResult } from '../../src/workflows';

export interface WaitForWebhookInput {
  webhook: string;
  options: WaitForWebhookOptions;
  /** Sleep this long before waiting (lets a test deliver before the wait is registered). */
  sleepFirst?: Duration;
}

/** One wait; returns what waitForWebhook returned. */
export async function waitOnce(input: WaitForWebhookInput): Promise<WaitForWebhookResult> {
  if (input.sleepFirst) await sleep(input.sleepFirst);
  return waitForWebhook(input.webhook, input.options);
}

/** Several waits at once; returns each result in order. */
export async function waitForAll(inputs: WaitForWebhookInput[]): Promise<WaitForWebhookResult[]> {
  return Promise.all(inputs.map((input) => waitForWebhook(input.webhook, input.options)));
}

/** The first of two waits; the loser stays open until the run closes (the plugin removes it). */
export async function waitForFirst(inputs: [WaitForWebhookInput, WaitForWebhookInput]): Promise<WaitForWebhookResult> {
  return Promise.race(inputs.map((input) => waitForWebhook(input.webhook, input.options)));
}

/** A wait in a child workflow. */
export async function waitInChild(input: WaitForWebhookInput): Promise<WaitForWebhookResult> {
  return executeChild(waitOnce, { args: [input], workflowId: `${workflowInfo().workflowId}-child` });
}

/** A wait cancelled by its own scope after `cancelAfter`; returns whether it was cancelled. */
export async function waitThenCancelScope(
  input: WaitForWebhookInput & { cancelAfter: Duration },
): Promise<'cancelled' | 'delivered'> {
  try {
    await CancellationScope.cancellable(async () => {
      const scope = CancellationScope.current();
      void sleep(input.cancelAfter).then(() => scope.cancel());
      await waitForWebhook(input.webhook, input.options);
    });
    return 'delivered';
  } catch {
    return 'cancelled';
  }
}

/** Run 1 opens a wait and continues as new while it is open; run 2 waits with since: workflowStart. */
export async function waitAcrossContinueAsNew(
  input: WaitForWebhookInput & { generation?: number },
): Promise<WaitForWebhookResult & { generation: number }> {
  const generation = input.generation ?? 0;
  if (generation === 0) {
    const first = await Promise.race([
      waitForWebhook(input.webhook, input.options),
      sleep('1 second').then(() => null),
    ]);
    if (first === null) await continueAsNew<typeof waitAcrossContinueAsNew>({ ...input, generation: 1 });
    return { ...first!, generation };
  }
  return { ...(await waitForWebhook(input.webhook, { ...input.options, since: 'workflowStart' })), generation };
}
