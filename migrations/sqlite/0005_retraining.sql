CREATE TABLE `retrain_jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`model_id` integer NOT NULL,
	`active_model_id` integer,
	`base_version_id` integer,
	`trigger_report_id` integer,
	`trigger` text NOT NULL,
	`requested_by` text,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`executor` text NOT NULL,
	`created_at` text NOT NULL,
	`started_at` text,
	`finished_at` text,
	`cancel_requested_at` text,
	`runner` text,
	`log_tail` text,
	`error` text,
	`result_version` integer,
	`dataset_uri` text,
	`completion` text,
	FOREIGN KEY (`model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`base_version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `retrain_jobs_active_unique` ON `retrain_jobs` (`active_model_id`);--> statement-breakpoint
CREATE INDEX `retrain_jobs_model` ON `retrain_jobs` (`model_id`,`id`);--> statement-breakpoint
CREATE INDEX `retrain_jobs_status` ON `retrain_jobs` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`webhook_id` integer NOT NULL,
	`event_id` integer,
	`event_type` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`response_code` integer,
	`latency_ms` integer,
	`last_error` text,
	`created_at` text NOT NULL,
	`delivered_at` text,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_webhook` ON `webhook_deliveries` (`webhook_id`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_status` ON `webhook_deliveries` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`url` text NOT NULL,
	`secret` text NOT NULL,
	`event_types` text NOT NULL,
	`description` text,
	`created_at` text NOT NULL,
	`disabled_at` text
);
--> statement-breakpoint
ALTER TABLE `versions` ADD `retrain_job_id` integer;--> statement-breakpoint
ALTER TABLE `versions` ADD `drift_report_id` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `versions_retrain_job_unique` ON `versions` (`retrain_job_id`);