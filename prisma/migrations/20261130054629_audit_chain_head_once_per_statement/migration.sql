-- The audit chain's trigger wrote the head row once per entry: a statement inserting many entries (a bulk import)
-- piled up one row version per entry on that one row, each later lookup walking them all, so the cost grew with the
-- square of the count. Now the head is locked once per transaction and written once per statement: each row's
-- trigger takes the previous link from a transaction-local setting, and an AFTER STATEMENT trigger stores the last.
-- A setting made with is_local is undone with its transaction or savepoint, as the head row's update and lock are.
-- Bodies are E'' strings with \x3b for each semicolon (see 20261130052832_add_audit_hash_chain).
CREATE OR REPLACE FUNCTION audit_entries_chain() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE
  link TEXT := current_setting(''arbiter.audit_chain_link'', true)\x3b
  prev_seq BIGINT\x3b
  prev_hash TEXT\x3b
BEGIN
  IF link IS NULL OR link = '''' THEN
    SELECT h."seq", h."hash" INTO STRICT prev_seq, prev_hash FROM "audit_chain_head" h WHERE h.id = 1 FOR UPDATE\x3b
  ELSE
    prev_seq := split_part(link, '':'', 1)::bigint\x3b
    prev_hash := split_part(link, '':'', 2)\x3b
  END IF\x3b
  NEW."seq" := prev_seq + 1\x3b
  NEW."prev_hash" := prev_hash\x3b
  NEW."hash" := audit_entry_hash(NEW)\x3b
  PERFORM set_config(''arbiter.audit_chain_link'', NEW."seq"::text || '':'' || NEW."hash", true)\x3b
  RETURN NEW\x3b
END
';

CREATE FUNCTION audit_entries_chain_head() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE
  link TEXT := current_setting(''arbiter.audit_chain_link'', true)\x3b
BEGIN
  IF link IS NOT NULL AND link <> '''' THEN
    UPDATE "audit_chain_head" SET "seq" = split_part(link, '':'', 1)::bigint, "hash" = split_part(link, '':'', 2)
     WHERE id = 1 AND "seq" <> split_part(link, '':'', 1)::bigint\x3b
  END IF\x3b
  RETURN NULL\x3b
END
';

CREATE TRIGGER "audit_entries_chain_head" AFTER INSERT ON "audit_entries" FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_chain_head();
