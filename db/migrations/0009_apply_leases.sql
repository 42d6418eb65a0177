CREATE TABLE "apply_leases" (
	"run_id" text NOT NULL,
	"batch" integer NOT NULL,
	"scheduled_at_ms" bigint NOT NULL,
	"attempt" integer NOT NULL,
	"claimed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "apply_leases_run_id_batch_pk" PRIMARY KEY("run_id","batch")
);
