/**
 * The activities behind `waitForWebhook`, registered on the worker by `TempohookPlugin`:
 * registering a wait (validated here, so a bad match, `if` or webhook name fails the call at
 * once with a non-retryable ApplicationFailure naming the bad part) and removing a run's waits.
 * Which run waits comes from the activity context, never from workflow input.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DEFAULT_NAMESPACE, webhookSpec } from '../resources/schemas';
import type { Store } from '../store/types';
import { compileCondition, conditionHolds } from '../waits/condition';
import { compileMatch, canonicalJson, InvalidWaitError } from '../waits/match';
import { WaitFailureType, type RegisterWaitInput, type RegisterWaitResult } from '../workflows/definitions';

/** Largest `vars` (as JSON) a wait may carry for its `if`. */
const MAX_VARS_BYTES = 16 * 1024;

export interface WaitActivitiesDeps {
  /** The store, or how to open it on first use (the plugin opens its own from a databaseUrl). */
  store: Store | (() => Promise<Store>);
  now?: () => Date;
}

function runOf() {
  const info = Context.current().info;
  const { workflowExecution: execution, workflowType, workflowNamespace } = info;
  if (!execution || !workflowType || !workflowNamespace)
    throw ApplicationFailure.nonRetryable(
      `${info.activityType} runs only as part of waitForWebhook in a workflow`,
      WaitFailureType.invalidWait,
    );
  return { workflowId: execution.workflowId, runId: execution.runId, workflowType, namespace: workflowNamespace };
}

function invalid(message: string, type: string = WaitFailureType.invalidWait): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type);
}

/** Builds the wait activities over a store. */
export function createWaitActivities(deps: WaitActivitiesDeps) {
  const now = deps.now ?? (() => new Date());
  const store = typeof deps.store === 'function' ? deps.store : () => Promise.resolve(deps.store as Store);
  return {
    /** Registers a wait; with `since`, returns a matching delivery already in the payload log. */
    async tempohookRegisterWait(input: RegisterWaitInput): Promise<RegisterWaitResult> {
      const run = runOf();
      const namespace = input.namespace || DEFAULT_NAMESPACE;
      let compiled;
      try {
        compiled = compileMatch(input.match);
        if (input.if !== undefined) compileCondition(input.if);
      } catch (err) {
        if (err instanceof InvalidWaitError) throw invalid(`waitForWebhook("${input.webhook}"): ${err.message}`);
        throw err;
      }
      if (
        input.vars !== undefined &&
        (input.vars === null || typeof input.vars !== 'object' || Array.isArray(input.vars))
      )
        throw invalid(`waitForWebhook("${input.webhook}"): vars must be an object`);
      if (input.vars && Buffer.byteLength(canonicalJson(input.vars)) > MAX_VARS_BYTES)
        throw invalid(`waitForWebhook("${input.webhook}"): vars is over ${MAX_VARS_BYTES} bytes as JSON`);

      const record = await (await store()).webhooks.get(namespace, input.webhook);
      if (!record) {
        throw invalid(
          `waitForWebhook("${input.webhook}"): no webhook "${input.webhook}" in tempohook namespace "${namespace}"; apply it first or fix the name (or the namespace option)`,
          WaitFailureType.unknownWebhook,
        );
      }
      const spec = webhookSpec.safeParse(record.spec);
      const signal = spec.success ? spec.data.signal : undefined;
      if (!signal?.enabled) {
        throw invalid(
          `waitForWebhook("${input.webhook}"): webhook ${namespace}/${input.webhook} does not signal waiting workflows; set spec.signal: {enabled: true}`,
          WaitFailureType.notSignaling,
        );
      }
      if (signal.workflowTypes && !signal.workflowTypes.includes(run.workflowType)) {
        throw invalid(
          `waitForWebhook("${input.webhook}"): webhook ${namespace}/${input.webhook} signals only workflow types ${signal.workflowTypes.join(', ')}; add ${run.workflowType} to spec.signal.workflowTypes`,
          WaitFailureType.notSignaling,
        );
      }

      const at = now();
      const vars = input.vars ?? {};
      const { delivery } = await (
        await store()
      ).waits.register({
        id: input.waitId,
        webhookId: record.id,
        temporalNamespace: run.namespace,
        workflowId: run.workflowId,
        runId: run.runId,
        workflowType: run.workflowType,
        match: input.match,
        compiled,
        condition: input.if ?? null,
        vars: input.vars ?? null,
        since: input.sinceMs === undefined ? null : new Date(input.sinceMs),
        timeoutAt: input.timeoutMs === undefined ? null : new Date(at.getTime() + input.timeoutMs),
        now: at,
        accepts: (d) =>
          input.if === undefined ||
          conditionHolds(input.if, {
            payload: d.payload,
            headers: d.headers,
            vars,
            source: d.source,
            eventId: d.eventId,
          }),
      });
      return { waitId: input.waitId, delivery };
    },

    /** Removes the calling run's unclaimed waits (all of them when `waitIds` is absent); names those a delivery already claimed. */
    async tempohookRemoveWaits(input: { waitIds?: string[] }): Promise<{ removed: number; claimed: string[] }> {
      const run = runOf();
      return (await store()).waits.remove(run.workflowId, run.runId, input.waitIds);
    },
  };
}

export type WaitActivities = ReturnType<typeof createWaitActivities>;
