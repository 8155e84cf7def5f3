-- The audit log's hash chain (README, Security, "The audit log"). Every entry carries seq (1, 2, 3 … with no gap),
-- prev_hash (the previous entry's hash) and hash, the SHA-256 of its canonical content, prev_hash included.
-- A BEFORE INSERT trigger assigns all three, so every writer is covered: AuditService, and the INSERTs that ride
-- inside other single statements (a review decision's or a withdrawal's CTE), without any of them knowing.
ALTER TABLE "audit_entries" ADD COLUMN "seq" BIGINT,
ADD COLUMN "prev_hash" TEXT,
ADD COLUMN "hash" TEXT;

-- The chain's newest link. Appenders lock this one row until they commit: appends serialize (briefly, and audit
-- writes are rare beside events), which is what keeps one chain with neither fork nor gap across instances.
CREATE TABLE "audit_chain_head" (
    "id" SMALLINT NOT NULL DEFAULT 1,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    CONSTRAINT "audit_chain_head_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_chain_head_one_row" CHECK ("id" = 1)
);

-- Where the kept chain starts: the seq and hash of the last entry retention removed (seq 0 and the genesis hash
-- while nothing was removed). The oldest kept entry must be seq + 1 and link to this hash.
CREATE TABLE "audit_chain_anchor" (
    "id" SMALLINT NOT NULL DEFAULT 1,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "removed_at" TIMESTAMPTZ(3),
    CONSTRAINT "audit_chain_anchor_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "audit_chain_anchor_one_row" CHECK ("id" = 1)
);

-- One field of the canonical form: its length in UTF-8 bytes, a colon and the text, or a dash for NULL. No text can
-- end a field early, so two different entries never share a canonical form. src/audit/audit-chain.ts is the same.
CREATE FUNCTION audit_chain_field(v TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE WHEN v IS NULL THEN '-' ELSE octet_length(convert_to(v, 'UTF8'))::text || ':' || v END
$fn$;

-- The SHA-256, in hex, of an entry's canonical form: id, seq, prev_hash, actor, action, target, details (jsonb's own
-- text form, which is deterministic), at (UTC, milliseconds) and request id.
CREATE FUNCTION audit_entry_hash(e "audit_entries") RETURNS TEXT LANGUAGE sql STABLE AS $fn$
  SELECT encode(sha256(convert_to(
    audit_chain_field(e.id::text) || audit_chain_field(e.seq::text) || audit_chain_field(e.prev_hash)
    || audit_chain_field(e.actor_type::text) || audit_chain_field(e.actor_id) || audit_chain_field(e.action)
    || audit_chain_field(e.target_type) || audit_chain_field(e.target_id) || audit_chain_field(e.details::text)
    || audit_chain_field(to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) || audit_chain_field(e.request_id),
    'UTF8')), 'hex')
$fn$;

-- Chain the entries written so far, in the order they were written. This block and the trigger function are
-- written as E'' strings with \x3b for each semicolon: the schema engine (through adapter-pg) splits a migration on
-- every semicolon, even inside quotes, and the escape is only turned into one by PostgreSQL.
DO E'
DECLARE
  r RECORD\x3b
  n BIGINT := 0\x3b
  prev TEXT := repeat(''0'', 64)\x3b
BEGIN
  FOR r IN SELECT id FROM "audit_entries" ORDER BY id LOOP
    n := n + 1\x3b
    UPDATE "audit_entries" SET "seq" = n, "prev_hash" = prev WHERE id = r.id\x3b
    UPDATE "audit_entries" a SET "hash" = audit_entry_hash(a) WHERE a.id = r.id RETURNING a."hash" INTO prev\x3b
  END LOOP\x3b
  INSERT INTO "audit_chain_head" ("id", "seq", "hash") VALUES (1, n, prev)\x3b
  INSERT INTO "audit_chain_anchor" ("id", "seq", "hash") VALUES (1, 0, repeat(''0'', 64))\x3b
END
';

-- The defaults only let writers leave the columns out (the trigger below always replaces them).
ALTER TABLE "audit_entries" ALTER COLUMN "seq" SET NOT NULL,
ALTER COLUMN "seq" SET DEFAULT 0,
ALTER COLUMN "prev_hash" SET NOT NULL,
ALTER COLUMN "prev_hash" SET DEFAULT '',
ALTER COLUMN "hash" SET NOT NULL,
ALTER COLUMN "hash" SET DEFAULT '';

CREATE UNIQUE INDEX "audit_entries_seq_key" ON "audit_entries"("seq");

-- Whatever a writer passes for seq, prev_hash or hash is replaced: only the chain's head decides them.
CREATE FUNCTION audit_entries_chain() RETURNS trigger LANGUAGE plpgsql AS E'
DECLARE
  head "audit_chain_head"%ROWTYPE\x3b
BEGIN
  SELECT * INTO STRICT head FROM "audit_chain_head" WHERE id = 1 FOR UPDATE\x3b
  NEW."seq" := head."seq" + 1\x3b
  NEW."prev_hash" := head."hash"\x3b
  NEW."hash" := audit_entry_hash(NEW)\x3b
  UPDATE "audit_chain_head" SET "seq" = NEW."seq", "hash" = NEW."hash" WHERE id = 1\x3b
  RETURN NEW\x3b
END
';

CREATE TRIGGER "audit_entries_chain" BEFORE INSERT ON "audit_entries" FOR EACH ROW EXECUTE FUNCTION audit_entries_chain();
