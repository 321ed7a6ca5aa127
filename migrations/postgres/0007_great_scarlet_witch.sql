ALTER TABLE "reference_profiles" ADD COLUMN "source" text DEFAULT 'uploaded' NOT NULL;--> statement-breakpoint
ALTER TABLE "retrain_jobs" ADD COLUMN "evaluation" json;