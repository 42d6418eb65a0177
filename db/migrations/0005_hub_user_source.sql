ALTER TABLE "hub_users" ADD COLUMN "source_task_id" text;--> statement-breakpoint
CREATE INDEX "hub_users_source_task_idx" ON "hub_users" USING btree ("source_task_id");--> statement-breakpoint
-- People an upstream task linked before ownership existed belong to it (the earliest link, when two did).
UPDATE "hub_users" SET "source_task_id" = "owner"."task_id"
FROM (
  SELECT DISTINCT ON ("l"."target_id") "l"."target_id", "l"."task_id"
  FROM "task_links" "l" JOIN "sync_tasks" "t" ON "t"."id" = "l"."task_id"
  WHERE "l"."entity" = 'user' AND "t"."direction" = 'upstream' AND "t"."deleted_at" IS NULL
  ORDER BY "l"."target_id", "l"."created_at", "l"."task_id"
) AS "owner"
WHERE "hub_users"."id" = "owner"."target_id" AND "hub_users"."source_task_id" IS NULL;
