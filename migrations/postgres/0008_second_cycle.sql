ALTER TABLE "sample_batches" ADD COLUMN "prediction_kind" text;--> statement-breakpoint
ALTER TABLE "versions" ADD COLUMN "task" json;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "message_id" text;