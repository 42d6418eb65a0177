CREATE TABLE "hub_departments" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"parent_id" text,
	"order" integer DEFAULT 0 NOT NULL,
	"leader_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "hub_users" (
	"id" text PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"mobile" text,
	"employee_number" text,
	"title" text,
	"department_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"main_department_id" text,
	"manager_id" text,
	"status" text DEFAULT 'active' NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"before" jsonb,
	"after" jsonb
);
--> statement-breakpoint
CREATE INDEX "hub_departments_parent_idx" ON "hub_departments" USING btree ("parent_id");--> statement-breakpoint
CREATE UNIQUE INDEX "hub_users_username_uq" ON "hub_users" USING btree (lower("username"));--> statement-breakpoint
CREATE UNIQUE INDEX "hub_users_email_uq" ON "hub_users" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "hub_users_mobile_uq" ON "hub_users" USING btree ("mobile");--> statement-breakpoint
CREATE UNIQUE INDEX "hub_users_employee_number_uq" ON "hub_users" USING btree ("employee_number");--> statement-breakpoint
CREATE INDEX "hub_users_manager_idx" ON "hub_users" USING btree ("manager_id");--> statement-breakpoint
CREATE INDEX "hub_users_departments_idx" ON "hub_users" USING gin ("department_ids");--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash_uq" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "audit_log" USING btree ("entity_type","entity_id");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");