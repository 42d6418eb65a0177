CREATE TABLE "pending_deletions" (
	"id" text PRIMARY KEY NOT NULL,
	"task_id" text NOT NULL,
	"run_id" text NOT NULL,
	"run_item_id" integer NOT NULL,
	"action" text NOT NULL,
	"entity" text NOT NULL,
	"source_id" text,
	"target_id" text NOT NULL,
	"display_name" text,
	"reason" text NOT NULL,
	"status" text NOT NULL,
	"error_code" text,
	"error_message" text,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_items" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"seq" integer NOT NULL,
	"batch" integer NOT NULL,
	"key" text NOT NULL,
	"action" text NOT NULL,
	"entity" text NOT NULL,
	"source_id" text,
	"target_id" text,
	"display_name" text,
	"status" text NOT NULL,
	"payload" jsonb NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"error_code" text,
	"error_message" text,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "run_snapshot_chunks" (
	"run_id" text NOT NULL,
	"side" text NOT NULL,
	"seq" integer NOT NULL,
	"departments" jsonb NOT NULL,
	"users" jsonb NOT NULL,
	CONSTRAINT "run_snapshot_chunks_run_id_side_seq_pk" PRIMARY KEY("run_id","side","seq")
);
--> statement-breakpoint
CREATE TABLE "sync_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"task_id" text NOT NULL,
	"trigger" text NOT NULL,
	"status" text NOT NULL,
	"dry_run" boolean DEFAULT false NOT NULL,
	"changed_ids" jsonb,
	"phase" text DEFAULT 'pending' NOT NULL,
	"counters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	"workflow_id" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sync_tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"direction" text NOT NULL,
	"connector_kind" text NOT NULL,
	"config" jsonb NOT NULL,
	"secrets_sealed" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "task_links" (
	"task_id" text NOT NULL,
	"entity" text NOT NULL,
	"source_id" text NOT NULL,
	"target_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "task_links_task_id_entity_source_id_pk" PRIMARY KEY("task_id","entity","source_id")
);
--> statement-breakpoint
CREATE INDEX "pending_deletions_task_status_idx" ON "pending_deletions" USING btree ("task_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "pending_deletions_open_uq" ON "pending_deletions" USING btree ("task_id","entity","target_id","action") WHERE status in ('PENDING', 'EXECUTING');--> statement-breakpoint
CREATE UNIQUE INDEX "run_items_run_seq_uq" ON "run_items" USING btree ("run_id","seq");--> statement-breakpoint
CREATE INDEX "run_items_run_batch_idx" ON "run_items" USING btree ("run_id","batch");--> statement-breakpoint
CREATE INDEX "run_items_run_status_idx" ON "run_items" USING btree ("run_id","status");--> statement-breakpoint
CREATE INDEX "sync_runs_task_idx" ON "sync_runs" USING btree ("task_id","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "task_links_target_uq" ON "task_links" USING btree ("task_id","entity","target_id");