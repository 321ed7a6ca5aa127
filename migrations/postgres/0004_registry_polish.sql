ALTER TABLE "version_params" ADD COLUMN "value_type" text DEFAULT 'string' NOT NULL;--> statement-breakpoint
CREATE INDEX "events_model_name" ON "events" USING btree ("model_name","id");