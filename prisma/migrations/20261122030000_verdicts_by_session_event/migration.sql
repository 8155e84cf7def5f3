-- Acks find a verdict by (session, event id). The (session_id, seq) index made each ack read every verdict the
-- session ever had, so an ack cost grew with the session's age. One verdict per event, so the pair is unique.
-- (No semicolons in comments here: the JS schema engine splits a migration on them.)
CREATE UNIQUE INDEX "verdicts_session_id_event_id_key" ON "verdicts"("session_id", "event_id");
