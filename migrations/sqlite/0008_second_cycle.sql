CREATE TABLE `mlflow_artifacts` (
	`path` text PRIMARY KEY NOT NULL,
	`storage_key` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`content_type` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `mlflow_experiment_tags` (
	`experiment_id` integer NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`experiment_id`, `key`),
	FOREIGN KEY (`experiment_id`) REFERENCES `mlflow_experiments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `mlflow_experiments` (
	`id` integer PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`artifact_location` text NOT NULL,
	`lifecycle_stage` text NOT NULL,
	`creation_time` integer NOT NULL,
	`last_update_time` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mlflow_experiments_name_unique` ON `mlflow_experiments` (`name`);--> statement-breakpoint
CREATE TABLE `mlflow_logged_models` (
	`model_id` text PRIMARY KEY NOT NULL,
	`experiment_id` integer NOT NULL,
	`name` text NOT NULL,
	`source_run_id` text,
	`model_type` text,
	`status` text NOT NULL,
	`artifact_uri` text NOT NULL,
	`tags` text NOT NULL,
	`params` text NOT NULL,
	`creation_time` integer NOT NULL,
	`last_update_time` integer NOT NULL,
	FOREIGN KEY (`experiment_id`) REFERENCES `mlflow_experiments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `mlflow_logged_models_experiment` ON `mlflow_logged_models` (`experiment_id`);--> statement-breakpoint
CREATE TABLE `mlflow_run_metrics` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` text NOT NULL,
	`key` text NOT NULL,
	`value` real NOT NULL,
	`step` integer NOT NULL,
	`timestamp` integer NOT NULL,
	`model_id` text,
	FOREIGN KEY (`run_id`) REFERENCES `mlflow_runs`(`run_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `mlflow_run_metrics_series` ON `mlflow_run_metrics` (`run_id`,`key`,`step`);--> statement-breakpoint
CREATE TABLE `mlflow_run_params` (
	`run_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`run_id`, `key`),
	FOREIGN KEY (`run_id`) REFERENCES `mlflow_runs`(`run_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `mlflow_run_tags` (
	`run_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`run_id`, `key`),
	FOREIGN KEY (`run_id`) REFERENCES `mlflow_runs`(`run_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `mlflow_runs` (
	`run_id` text PRIMARY KEY NOT NULL,
	`experiment_id` integer NOT NULL,
	`name` text NOT NULL,
	`user_id` text NOT NULL,
	`status` text NOT NULL,
	`start_time` integer NOT NULL,
	`end_time` integer,
	`lifecycle_stage` text NOT NULL,
	`artifact_uri` text NOT NULL,
	`outputs` text NOT NULL,
	FOREIGN KEY (`experiment_id`) REFERENCES `mlflow_experiments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `mlflow_runs_experiment` ON `mlflow_runs` (`experiment_id`,`start_time`);--> statement-breakpoint
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
