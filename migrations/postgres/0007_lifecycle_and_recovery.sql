CREATE TABLE "deployment" (
	"singleton" integer PRIMARY KEY NOT NULL,
	"deployment_id" text NOT NULL,
	"created_at" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "drift_reports" ADD COLUMN "generation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "drift_reports" ADD COLUMN "reference_version" integer;--> statement-breakpoint
ALTER TABLE "drift_reports" ADD COLUMN "failure_reason" text;--> statement-breakpoint
ALTER TABLE "reference_profiles" ADD COLUMN "source" text DEFAULT 'uploaded' NOT NULL;--> statement-breakpoint
ALTER TABLE "retrain_jobs" ADD COLUMN "generation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "retrain_jobs" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "retrain_jobs" ADD COLUMN "lease_expires_at" text;--> statement-breakpoint
ALTER TABLE "retrain_jobs" ADD COLUMN "evaluation" json;