-- The dashboard's overview (src/overview) aggregates events over a time window (the last 24 hours or 7 days): without
-- an index on created_at each aggregate would scan every event ever kept. Retention's "older than" delete uses it too.
CREATE INDEX "agent_events_created_at_idx" ON "agent_events"("created_at");
