/**
 * A real Temporal client that counts the starts and signal-with-starts the ingress sends, and can
 * fail chosen starts before they leave (a transport failure, as when Temporal does not answer).
 * Every call it lets through goes to the real dev server: this forces one route of a fan-out to
 * fail, which the dev server offers no way to do for one workflow type only.
 */
import type { Client } from '@temporalio/client';

export interface CountingClient {
  client: Client;
  /** `start:<workflowType>` and `signalWithStart:<workflowType>`, in call order. */
  calls: string[];
  /** Makes the next `times` starts of `workflowType` fail as if Temporal were unreachable. */
  failStarts(workflowType: string, times: number): void;
}

export function countingClient(real: Client): CountingClient {
  const calls: string[] = [];
  const failing = new Map<string, number>();
  const bind = <T extends object>(target: T, overrides: Partial<Record<PropertyKey, unknown>>): T =>
    new Proxy(target, {
      get(t, prop) {
        if (prop in overrides) return overrides[prop];
        const value = Reflect.get(t, prop, t) as unknown;
        return typeof value === 'function' ? value.bind(t) : value;
      },
    });
  const workflow = bind(real.workflow, {
    start: (workflowType: string, options: unknown) => {
      calls.push(`start:${workflowType}`);
      const left = failing.get(workflowType) ?? 0;
      if (left > 0) {
        failing.set(workflowType, left - 1);
        return Promise.reject(new Error('injected: connection to Temporal lost'));
      }
      return (real.workflow.start as (t: string, o: unknown) => Promise<unknown>)(workflowType, options);
    },
  });
  const workflowService = bind(real.workflowService, {
    signalWithStartWorkflowExecution: (request: { workflowType?: { name?: string } }) => {
      calls.push(`signalWithStart:${request.workflowType?.name}`);
      return real.workflowService.signalWithStartWorkflowExecution(request);
    },
  });
  return {
    client: bind(real, { workflow, workflowService }),
    calls,
    failStarts: (workflowType, times) => failing.set(workflowType, times),
  };
}
