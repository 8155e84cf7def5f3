-- audit.entry webhooks, so a SIEM receives the audit log as it is written: every entry about a project (the project
-- itself, or anything whose details name it) is queued to that project's webhooks subscribed to audit.entry, in the
-- transaction that writes the entry, through the same outbox (webhook_deliveries) as every other event, so it is
-- signed and retried the same way. A trigger, like the chain's, so that entries written inside other statements
-- (a review decision's CTE) are covered too. The payload is the entry as GET /api/audit lists it, with its link of
-- the hash chain (seq, prev_hash, hash), so the receiver holds a copy of the chain outside this database.
-- Body written as an E'' string with \x3b for each semicolon (see 20261130052832_add_audit_hash_chain).
CREATE FUNCTION audit_entries_to_webhooks() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE
  project TEXT := CASE WHEN NEW."target_type" = ''project'' THEN NEW."target_id" ELSE NEW."details"->>''project_id'' END\x3b
  queued INT\x3b
BEGIN
  IF project IS NULL OR project !~* ''^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'' THEN
    RETURN NULL\x3b
  END IF\x3b
  INSERT INTO "webhook_deliveries" ("id", "webhook_id", "event_key", "event_type", "payload")
  SELECT gen_random_uuid(), w."id", ''audit.entry:'' || NEW."seq"::text, ''audit.entry'', jsonb_build_object(
           ''id'', NEW."id"::text, ''seq'', NEW."seq"::text, ''actor_type'', NEW."actor_type"::text, ''actor_id'', NEW."actor_id",
           ''action'', NEW."action", ''target_type'', NEW."target_type", ''target_id'', NEW."target_id", ''details'', NEW."details",
           ''at'', to_char(NEW."at" AT TIME ZONE ''UTC'', ''YYYY-MM-DD"T"HH24:MI:SS.MS"Z"''), ''request_id'', NEW."request_id",
           ''prev_hash'', NEW."prev_hash", ''hash'', NEW."hash")
    FROM "webhooks" w
   WHERE w."project_id" = project::uuid AND w."disabled_at" IS NULL AND ''audit.entry'' = ANY(w."events")
  ON CONFLICT ("webhook_id", "event_key") DO NOTHING\x3b
  GET DIAGNOSTICS queued = ROW_COUNT\x3b
  IF queued > 0 THEN
    PERFORM pg_notify(''arbiter_webhook_due'', ''{}'')\x3b
  END IF\x3b
  RETURN NULL\x3b
END
';

CREATE TRIGGER "audit_entries_to_webhooks" AFTER INSERT ON "audit_entries" FOR EACH ROW EXECUTE FUNCTION audit_entries_to_webhooks();
