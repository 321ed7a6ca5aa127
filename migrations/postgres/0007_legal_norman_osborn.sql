ALTER TABLE "retrain_jobs" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "retrain_jobs" ADD COLUMN "lease_expires_at" text;