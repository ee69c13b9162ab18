/** The benchmark's workflow: three trivial activities, then a small result. Workflow code: sandboxed. */
import { proxyActivities } from '@temporalio/workflow';

const { benchStep } = proxyActivities<{ benchStep(i: number): Promise<number> }>({ startToCloseTimeout: '10 seconds' });

export async function benchThreeSteps(): Promise<number> {
  let total = 0;
  for (let i = 1; i <= 3; i++) total += await benchStep(i);
  return total;
}
