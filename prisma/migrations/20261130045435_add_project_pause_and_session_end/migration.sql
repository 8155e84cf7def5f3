-- A project's kill switch (who paused it, when, why) and a session ended by a person.
ALTER TABLE "projects" ADD COLUMN "paused_at" TIMESTAMPTZ(3),
ADD COLUMN "paused_by" TEXT,
ADD COLUMN "pause_reason" TEXT;

ALTER TABLE "agent_sessions" ADD COLUMN "ended_at" TIMESTAMPTZ(3),
ADD COLUMN "ended_by" TEXT;
