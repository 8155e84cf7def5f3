-- Verdicts were to record when they were sent, but delivery tracks that per connection, so the column was never
-- written. (No semicolons in comments here: the JS schema engine splits a migration on them.)
ALTER TABLE "verdicts" DROP COLUMN "sent_at";
