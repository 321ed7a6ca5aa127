ALTER TABLE `drift_reports` ADD `revision` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `drift_reports` ADD `requests` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `drift_reports` ADD `requests_seen` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `drift_reports` ADD `recompute` text;--> statement-breakpoint
ALTER TABLE `drift_reports` ADD `requested_at` text;--> statement-breakpoint
ALTER TABLE `drift_reports` ADD `labels_updated_at` text;--> statement-breakpoint
ALTER TABLE `drift_reports` ADD `data_cutoff` text;--> statement-breakpoint
CREATE INDEX `drift_reports_requested` ON `drift_reports` (`requested_at`);--> statement-breakpoint
ALTER TABLE `sample_batches` ADD `observed_until` text;--> statement-breakpoint
ALTER TABLE `sample_batches` ADD `prediction_kind` text;--> statement-breakpoint
ALTER TABLE `sample_ids` ADD `row_index` integer;--> statement-breakpoint
ALTER TABLE `versions` ADD `task` text;--> statement-breakpoint
ALTER TABLE `webhook_deliveries` ADD `message_id` text;--> statement-breakpoint
-- Reports computed before revisions existed are their first revision.
UPDATE drift_reports SET revision = 1 WHERE status = 'done';
