CREATE TABLE "task_read_watermarks" (
	"task_id" text PRIMARY KEY NOT NULL,
	"watermark" text NOT NULL,
	"run_id" text NOT NULL,
	"run_started_at" timestamp with time zone NOT NULL,
	"full_read_at" timestamp with time zone NOT NULL,
	"read_config" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "read" jsonb;