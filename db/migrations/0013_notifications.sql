CREATE TABLE "notification_channels" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"task_id" text,
	"kind" text NOT NULL,
	"events" text[] NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"secrets_sealed" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_deliveries" (
	"run_id" text NOT NULL,
	"event" text NOT NULL,
	"channel_id" text NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_deliveries_run_id_event_channel_id_pk" PRIMARY KEY("run_id","event","channel_id")
);
--> statement-breakpoint
CREATE INDEX "notification_channels_task_idx" ON "notification_channels" USING btree ("task_id");