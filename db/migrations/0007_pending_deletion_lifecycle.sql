ALTER TABLE "pending_deletions" ADD COLUMN "superseded_by" text;--> statement-breakpoint
ALTER TABLE "pending_deletions" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
-- Overlapping stageDeletions attempts could stage one run item twice; keep the decided row (else the first).
DELETE FROM "pending_deletions" "a" USING "pending_deletions" "b"
WHERE "a"."run_id" = "b"."run_id" AND "a"."run_item_id" = "b"."run_item_id" AND "a"."id" <> "b"."id"
  AND (("a"."status" = 'PENDING' AND "b"."status" <> 'PENDING') OR ("a"."status" = "b"."status" AND "a"."id" > "b"."id"));--> statement-breakpoint
CREATE UNIQUE INDEX "pending_deletions_run_item_uq" ON "pending_deletions" USING btree ("run_id","run_item_id");--> statement-breakpoint
CREATE INDEX "pending_deletions_run_status_idx" ON "pending_deletions" USING btree ("run_id","status");