-- Retention (src/retention): a project's own retention for its events, verdicts, reviews and transcripts (NULL: the
-- server's ARBITER_RETENTION_DAYS), and when retention removed a session's transcript, so a share link to it can say
-- so (410) instead of showing an empty page.
ALTER TABLE "projects" ADD COLUMN "retention_days" INTEGER;

ALTER TABLE "agent_sessions" ADD COLUMN "transcript_removed_at" TIMESTAMPTZ(3);
