-- CreateTable
CREATE TABLE "review_announcements" (
    "review_id" UUID NOT NULL,
    "announced_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "review_announcements_pkey" PRIMARY KEY ("review_id")
);

-- Reviews that exist before this migration were announced by the instance that created them, or are past saving
INSERT INTO "review_announcements" ("review_id", "announced_at") SELECT "id", "created_at" FROM "reviews";

-- CreateIndex
CREATE INDEX "reviews_created_at_idx" ON "reviews"("created_at");

-- AddForeignKey
ALTER TABLE "review_announcements" ADD CONSTRAINT "review_announcements_review_id_fkey" FOREIGN KEY ("review_id") REFERENCES "reviews"("id") ON DELETE CASCADE ON UPDATE CASCADE;
