-- Issue 13: a delivery log that settles. A delivery whose ingress died between the reservation
-- and the record (or whose record failed during a database restart) stays `pending`; the
-- ingress's periodic job settles it from Temporal. `settle_checked_at` is the claim of the
-- replica looking at it, so replicas never describe the same row at once.
ALTER TABLE deliveries ADD COLUMN settle_checked_at timestamptz;

CREATE INDEX deliveries_pending_idx ON deliveries (received_at) WHERE outcome = 'pending';
