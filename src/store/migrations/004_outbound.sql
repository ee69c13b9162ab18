-- Outbound lifecycle notifications: Subscription resources, their delivery state, and every
-- delivery and attempt (issue 5).

CREATE TABLE subscriptions (
  namespace  text        NOT NULL,
  name       text        NOT NULL,
  spec       jsonb       NOT NULL,
  generation integer     NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, name)
);

-- Status of every subscription, API resources ("<namespace>/<name>") and settings-file ones
-- ("settings/<name>") alike: the settings file lives outside the database.
CREATE TABLE subscription_status (
  subscription_key     text        PRIMARY KEY,
  consecutive_failures integer     NOT NULL DEFAULT 0,
  disabled_at          timestamptz,
  disabled_reason      text,
  last_delivery_at     timestamptz,
  last_status          text,
  last_error           text,
  deliveries_succeeded bigint      NOT NULL DEFAULT 0,
  deliveries_failed    bigint      NOT NULL DEFAULT 0
);

-- One row per (event, subscription) delivery; the envelope is kept for redelivery.
CREATE TABLE notification_deliveries (
  id               uuid        PRIMARY KEY,
  subscription_key text        NOT NULL,
  event_id         text        NOT NULL,
  event_type       text        NOT NULL,
  envelope         jsonb       NOT NULL,
  status           text        NOT NULL DEFAULT 'pending',
  attempts         integer     NOT NULL DEFAULT 0,
  last_http_status integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX notification_deliveries_subscription_idx ON notification_deliveries (subscription_key, created_at DESC, id DESC);

CREATE TABLE notification_attempts (
  delivery_id   uuid        NOT NULL REFERENCES notification_deliveries (id) ON DELETE CASCADE,
  attempt       integer     NOT NULL,
  started_at    timestamptz NOT NULL,
  duration_ms   integer     NOT NULL,
  http_status   integer,
  response_body text,
  error         text,
  PRIMARY KEY (delivery_id, attempt, started_at)
);
