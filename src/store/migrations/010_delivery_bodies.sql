-- Issue 13: payloads kept. Every delivery that passed verification keeps its raw body and its
-- headers (credentials removed) for its webhook's spec.retention.payloads (default 7 days), in a
-- table of its own so the hot delivery row stays small and purging is a short delete. With
-- TEMPOHOOK_SECRET_KEY both are AES-256-GCM sealed (`key_id` names the key; null: stored in clear).
-- (`delivery_payloads`, from 003, is the parsed payload log of signal webhooks behind `since`.)
CREATE TABLE delivery_bodies (
  delivery_id  uuid        PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
  webhook_id   uuid        NOT NULL,
  received_at  timestamptz NOT NULL,
  content_type text,
  body         bytea       NOT NULL,
  -- A JSON object of lower-cased header names, as bytes (sealed like `body` when key_id is set).
  headers      bytea       NOT NULL,
  key_id       text
);
CREATE INDEX delivery_bodies_webhook_received_idx ON delivery_bodies (webhook_id, received_at);

-- A replay (POST /v1/deliveries/{id}/replay) is a delivery of its own pointing at the one it replays.
ALTER TABLE deliveries ADD COLUMN replay_of uuid REFERENCES deliveries (id) ON DELETE SET NULL;
CREATE INDEX deliveries_replay_of_idx ON deliveries (replay_of) WHERE replay_of IS NOT NULL;
