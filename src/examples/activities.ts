/** Activities of the example worker that `npm start` runs. */
import type { WebhookStartInput } from '../workflows/definitions';

export interface PayloadSummary {
  /** Top-level keys of a JSON object payload, or the payload's kind. */
  keys: string[];
  bytes: number;
  repository: string | null;
  commits: number | null;
}

export function createExampleActivities() {
  return {
    /** Summarizes a webhook payload the way a weekly report would count it. */
    async summarizeWebhookPayload(input: Pick<WebhookStartInput, 'webhook_payload'>): Promise<PayloadSummary> {
      const payload = input.webhook_payload;
      const object =
        payload && typeof payload === 'object' && !Array.isArray(payload)
          ? (payload as Record<string, unknown>)
          : undefined;
      const repository = object?.repository as { full_name?: unknown } | undefined;
      return {
        keys: object ? Object.keys(object).slice(0, 50) : [Array.isArray(payload) ? 'array' : typeof payload],
        bytes: Buffer.byteLength(JSON.stringify(payload ?? null)),
        repository: typeof repository?.full_name === 'string' ? repository.full_name : null,
        commits: Array.isArray(object?.commits) ? object.commits.length : null,
      };
    },
  };
}

export type ExampleActivities = ReturnType<typeof createExampleActivities>;
