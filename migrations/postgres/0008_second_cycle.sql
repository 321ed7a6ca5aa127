ALTER TABLE "drift_reports" ADD COLUMN "revision" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "drift_reports" ADD COLUMN "requests" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "drift_reports" ADD COLUMN "requests_seen" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "drift_reports" ADD COLUMN "recompute" text;--> statement-breakpoint
ALTER TABLE "drift_reports" ADD COLUMN "requested_at" text;--> statement-breakpoint
ALTER TABLE "drift_reports" ADD COLUMN "labels_updated_at" text;--> statement-breakpoint
ALTER TABLE "drift_reports" ADD COLUMN "data_cutoff" text;--> statement-breakpoint
ALTER TABLE "sample_batches" ADD COLUMN "observed_until" text;--> statement-breakpoint
ALTER TABLE "sample_batches" ADD COLUMN "prediction_kind" text;--> statement-breakpoint
ALTER TABLE "sample_ids" ADD COLUMN "row_index" integer;--> statement-breakpoint
ALTER TABLE "versions" ADD COLUMN "task" json;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "message_id" text;--> statement-breakpoint
CREATE INDEX "drift_reports_requested" ON "drift_reports" USING btree ("requested_at");--> statement-breakpoint
-- Reports computed before revisions existed are their first revision.
UPDATE drift_reports SET revision = 1 WHERE status = 'done';
