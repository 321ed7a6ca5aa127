ALTER TABLE "sample_batches" ADD COLUMN "prediction_kind" text;--> statement-breakpoint
ALTER TABLE "versions" ADD COLUMN "task" json;