-- Protocol 1.1. An agent may withdraw a pending review (cancel), a reviewer may approve an edited input where the
-- project allows it, and an ack says whether the verdict was acted on (received) or arrived too late (discarded).
-- A new enum value cannot be used in the transaction that adds it, and nothing here uses it.
ALTER TYPE "ReviewStatus" ADD VALUE 'withdrawn';

CREATE TYPE "AckStatus" AS ENUM ('received', 'discarded');

ALTER TABLE "projects" ADD COLUMN "allow_edits" BOOLEAN NOT NULL DEFAULT false;

-- Why the agent withdrew the review (its cancel frame's reason), if it said.
ALTER TABLE "reviews" ADD COLUMN "withdrawn_reason" TEXT;

-- An edited approval keeps its input with the verdict (the outbox row), so replay after a resume sends the same edit.
-- original_input_sha256 is set exactly for edited verdicts, and input_sha256 is then the edited input's hash.
ALTER TABLE "verdicts" ADD COLUMN "ack_status" "AckStatus",
  ADD COLUMN "edited_input" JSONB,
  ADD COLUMN "original_input_sha256" TEXT;
-- Rows acked before acks had a status keep it NULL and read as received (no rewrite of the table).
