CREATE TABLE "rate_limit_grants" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"granted_at" timestamp with time zone NOT NULL,
	"permits" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "rate_limit_grants_key_granted_at" ON "rate_limit_grants" USING btree ("key","granted_at");