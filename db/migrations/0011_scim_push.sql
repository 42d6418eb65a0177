CREATE TABLE "scim_group_external_ids" (
	"task_id" text NOT NULL,
	"department_id" text NOT NULL,
	"external_id" text NOT NULL,
	CONSTRAINT "scim_group_external_ids_task_id_department_id_pk" PRIMARY KEY("task_id","department_id")
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "task_id" text;