ALTER TABLE "pending_deletions" ADD COLUMN "superseded_by" text;--> statement-breakpoint
ALTER TABLE "pending_deletions" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "pending_deletions_run_item_uq" ON "pending_deletions" USING btree ("run_id","run_item_id");--> statement-breakpoint
CREATE INDEX "pending_deletions_run_status_idx" ON "pending_deletions" USING btree ("run_id","status");