ALTER TABLE "drift_reports" ADD COLUMN "reference_version" integer;--> statement-breakpoint
ALTER TABLE "drift_reports" ADD COLUMN "failure_reason" text;