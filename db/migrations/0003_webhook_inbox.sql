CREATE TABLE "webhook_inbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task_id" text NOT NULL,
	"connector_kind" text NOT NULL,
	"dedup_key" text NOT NULL,
	"event_type" text NOT NULL,
	"changes" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"signalled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_inbox_dedup_uq" ON "webhook_inbox" USING btree ("task_id","dedup_key");--> statement-breakpoint
CREATE INDEX "webhook_inbox_unsignalled_idx" ON "webhook_inbox" USING btree ("received_at") WHERE "webhook_inbox"."signalled_at" is null;