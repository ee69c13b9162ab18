-- Issue 13: retention. Notification deliveries (and their attempts, by cascade) are purged by
-- age across subscription keys; deliveries are purged per webhook on (webhook_id, received_at).
CREATE INDEX notification_deliveries_created_idx ON notification_deliveries (created_at);
