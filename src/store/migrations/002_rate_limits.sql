-- Fixed-window counters for the `rate-limit` condition, shared by every ingress replica.
-- One row per webhook, window length and window start; rows of ended windows are purged.
-- UNLOGGED: a counter needs no WAL or fsync per delivery; after a database crash the counters
-- start again from zero, which only ever errs towards letting deliveries through.

CREATE UNLOGGED TABLE rate_limit_windows (
  webhook_id     uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  period_seconds integer     NOT NULL CHECK (period_seconds > 0),
  window_start   timestamptz NOT NULL,
  window_end     timestamptz NOT NULL,
  hits           integer     NOT NULL,
  PRIMARY KEY (webhook_id, period_seconds, window_start)
);

CREATE INDEX rate_limit_windows_end ON rate_limit_windows (window_end);
