-- Issue 13: bulk replay. A job replays the deliveries of one webhook that a search matched when it
-- was created (its items), in the background, throttled. Ingress replicas claim a job with
-- FOR UPDATE SKIP LOCKED and hold it by a lease they renew; a job whose lease lapsed (its ingress
-- died) is taken over. Items are keyed (job, source delivery), so a job replays each source at
-- most once: an item is claimed before its replay, and a claimed item left by a dead ingress is
-- settled from the delivery log (`deliveries.replay_job_id`): replayed if a row of this job
-- replays it, else claimable again.
CREATE TABLE replay_jobs (
  id               uuid        PRIMARY KEY,
  webhook_id       uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  -- The search that chose the items (outcome, status, eventId, workflowId, since, until).
  filter           jsonb       NOT NULL,
  new_event_id     boolean     NOT NULL DEFAULT false,
  rate_per_second  real        NOT NULL,
  -- pending → running → completed | cancelled
  state            text        NOT NULL DEFAULT 'pending',
  total            integer     NOT NULL,
  done             integer     NOT NULL DEFAULT 0,
  succeeded        integer     NOT NULL DEFAULT 0,
  failed           integer     NOT NULL DEFAULT 0,
  lease_owner      text,
  lease_expires_at timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  finished_at      timestamptz
);
CREATE INDEX replay_jobs_live_idx ON replay_jobs (created_at) WHERE state IN ('pending', 'running');
CREATE INDEX replay_jobs_webhook_idx ON replay_jobs (webhook_id, created_at DESC);

CREATE TABLE replay_job_items (
  job_id             uuid        NOT NULL REFERENCES replay_jobs (id) ON DELETE CASCADE,
  -- The source delivery (no foreign key: a source purged meanwhile fails its item).
  delivery_id        uuid        NOT NULL,
  received_at        timestamptz NOT NULL,
  -- pending → claimed → succeeded | failed
  state              text        NOT NULL DEFAULT 'pending',
  claimed_by         text,
  replay_delivery_id uuid,
  outcome            text,
  error              text,
  PRIMARY KEY (job_id, delivery_id)
);
CREATE INDEX replay_job_items_open_idx ON replay_job_items (job_id, received_at) WHERE state IN ('pending', 'claimed');

-- The job a replayed delivery belongs to: how a claimed item left by a dead ingress is settled.
ALTER TABLE deliveries ADD COLUMN replay_job_id uuid;
