-- Issue 13: searching the delivery log. Each filter of GET /v1/webhooks/{name}/deliveries is
-- answered from an index that keeps the page order (received_at DESC, id DESC) within a webhook;
-- since/until use deliveries_webhook_received_idx (001).
CREATE INDEX deliveries_webhook_outcome_idx ON deliveries (webhook_id, outcome, received_at DESC, id DESC);
CREATE INDEX deliveries_webhook_status_idx ON deliveries (webhook_id, http_status, received_at DESC, id DESC);
CREATE INDEX deliveries_webhook_event_idx ON deliveries (webhook_id, event_id);
CREATE INDEX deliveries_webhook_workflow_idx ON deliveries (webhook_id, workflow_id) WHERE workflow_id IS NOT NULL;
