-- Notifications without a trace in workflow history (issue 10): the worker writes each event's
-- deliveries here (a workflow sink, before the workflow task completes), and a dispatcher in
-- the worker sends them. A delivery row is its own outbox entry.

-- 'queued': waiting for the dispatcher's first attempt; 'handed_off': retried by a
-- tempohookDeliverEvent workflow; NULL: rows of the first design (always in a workflow).
ALTER TABLE notification_deliveries ADD COLUMN outbox_state text;
-- Which workers may dispatch the row: those polling the run's namespace and task queue.
ALTER TABLE notification_deliveries ADD COLUMN namespace text;
ALTER TABLE notification_deliveries ADD COLUMN task_queue text;
-- A dispatcher holds a queued row until then; a dead worker's rows are taken over after it.
ALTER TABLE notification_deliveries ADD COLUMN claimed_until timestamptz;

CREATE INDEX notification_deliveries_outbox_idx ON notification_deliveries (namespace, task_queue, claimed_until)
  WHERE outbox_state = 'queued';

-- One version per resource kind, bumped with every change: the change feed's pg_notify carries
-- it, and processes that cannot hold a LISTEN connection (the embedded database) poll it.
CREATE TABLE resource_versions (
  kind    text   PRIMARY KEY,
  version bigint NOT NULL
);
