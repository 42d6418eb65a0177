ALTER TABLE "run_items" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "run_items" ADD COLUMN "attempted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "mapping_failures" jsonb;