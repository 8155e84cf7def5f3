-- AlterTable
ALTER TABLE "reviews" ADD COLUMN     "created_announced_at" TIMESTAMPTZ(3);

-- Reviews that exist before this migration were announced by the instance that created them (or are past saving):
-- never announce them again.
UPDATE "reviews" SET "created_announced_at" = "created_at";

-- CreateIndex
CREATE INDEX "reviews_created_announced_at_created_at_idx" ON "reviews"("created_announced_at", "created_at");
