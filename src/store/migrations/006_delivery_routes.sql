-- Routes (issue 14): one endpoint, many workflows. What each route of an event did, so that a
-- provider's retry after a partial fan-out redoes only the routes that did not go through.

-- One row per (webhook, event, route) that acted: 'done' (the run started or the entity was
-- signaled, or Temporal already had it) or 'failed' (refused for good; a retry tries it again).
-- Kept as long as the event's dedup key; purged with it.
CREATE TABLE route_actions (
  webhook_id  uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id    text        NOT NULL,
  route       text        NOT NULL,
  action      text        NOT NULL,
  status      text        NOT NULL,
  workflow_id text,
  run_id      text,
  reason      text,
  delivery_id uuid        NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (webhook_id, event_id, route)
);

CREATE INDEX route_actions_expires_idx ON route_actions (expires_at);

-- The delivery log: each route this delivery acted on, with its action and result
-- ([{route, action, status, workflowId, runId, reason?}]); NULL for deliveries that took none.
ALTER TABLE deliveries ADD COLUMN actions jsonb;
