-- Waits: running workflows waiting on a matching delivery (waitForWebhook), and the payloads of
-- recent deliveries of signal webhooks, so a wait registered late can still find its delivery.

-- Kept for spec.signal.payloadRetention (default 24 h) after receipt, then purged.
CREATE TABLE delivery_payloads (
  delivery_id uuid        PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
  webhook_id  uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id    text        NOT NULL,
  source      text        NOT NULL,
  received_at timestamptz NOT NULL,
  payload     jsonb       NOT NULL,
  -- Lower-cased names; credential-bearing headers are never stored.
  headers     jsonb       NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX delivery_payloads_webhook_received_idx ON delivery_payloads (webhook_id, received_at);
CREATE INDEX delivery_payloads_expires_at_idx ON delivery_payloads (expires_at);
CREATE INDEX delivery_payloads_event_idx ON delivery_payloads (webhook_id, event_id);

-- state: open (waiting) → claimed (a delivery is signaling it) → signaled (resolved by delivery_id);
-- claimed → open again when Temporal was unavailable; open/claimed → stale when the run is gone.
CREATE TABLE waits (
  id                 uuid        PRIMARY KEY,
  webhook_id         uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  temporal_namespace text        NOT NULL,
  workflow_id        text        NOT NULL,
  run_id             text        NOT NULL,
  workflow_type      text        NOT NULL,
  match              jsonb       NOT NULL,
  -- SHA-256 of the sorted canonical paths of `match`, and of those paths with their expected values.
  path_set           text        NOT NULL,
  match_key          text        NOT NULL,
  condition          text,
  vars               jsonb,
  state              text        NOT NULL DEFAULT 'open',
  delivery_id        uuid,
  event_id           text,
  claimed_at         timestamptz,
  reason             text,
  created_at         timestamptz NOT NULL,
  -- When the workflow stops waiting (its timeout); null for no timeout.
  timeout_at         timestamptz,
  updated_at         timestamptz NOT NULL
);
-- The hot path: candidates for a delivery are found by (webhook, match key) among live waits.
CREATE INDEX waits_live_match_idx ON waits (webhook_id, match_key) WHERE state IN ('open', 'claimed');
CREATE INDEX waits_live_path_set_idx ON waits (webhook_id, path_set) WHERE state IN ('open', 'claimed');
CREATE INDEX waits_run_idx ON waits (workflow_id, run_id);
-- Which events a workflow id already consumed (a `since` look-up skips them).
CREATE INDEX waits_consumed_idx ON waits (workflow_id, webhook_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX waits_updated_at_idx ON waits (state, updated_at);

-- The distinct path sets a webhook's waits use, so the ingress needs no DISTINCT over all waits.
CREATE TABLE wait_path_sets (
  webhook_id   uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  path_set     text        NOT NULL,
  -- The canonical paths, as parsed (see src/waits/match.ts).
  paths        jsonb       NOT NULL,
  last_used_at timestamptz NOT NULL,
  PRIMARY KEY (webhook_id, path_set)
);
