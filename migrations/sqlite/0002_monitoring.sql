-- sample_ids and sample_labels are WITHOUT ROWID (added by hand before landing): their rows live
-- in the primary-key B-tree itself, one tree to update per id instead of two.
CREATE TABLE `drift_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`model_id` integer NOT NULL,
	`version_id` integer NOT NULL,
	`window_key` text NOT NULL,
	`kind` text NOT NULL,
	`seq_from` integer,
	`seq_to` integer,
	`from_time` text,
	`to_time` text,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`sample_count` integer,
	`drifted` integer,
	`drift_share` real,
	`result` text,
	`error` text,
	`created_at` text NOT NULL,
	`completed_at` text,
	FOREIGN KEY (`model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `drift_reports_window_unique` ON `drift_reports` (`model_id`,`window_key`);--> statement-breakpoint
CREATE INDEX `drift_reports_model` ON `drift_reports` (`model_id`,`id`);--> statement-breakpoint
CREATE INDEX `drift_reports_status` ON `drift_reports` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `monitors` (
	`model_id` integer PRIMARY KEY NOT NULL,
	`config` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `reference_profiles` (
	`version_id` integer PRIMARY KEY NOT NULL,
	`storage_key` text NOT NULL,
	`sha256` text NOT NULL,
	`size` integer NOT NULL,
	`row_count` integer NOT NULL,
	`chunks` integer NOT NULL,
	`revision` integer NOT NULL,
	`summary` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `sample_batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`model_id` integer NOT NULL,
	`version_id` integer NOT NULL,
	`batch_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`seq_start` integer NOT NULL,
	`row_count` integer NOT NULL,
	`observed_at` text NOT NULL,
	`received_at` text NOT NULL,
	`payload` blob NOT NULL,
	FOREIGN KEY (`model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sample_batches_key_unique` ON `sample_batches` (`model_id`,`batch_key`);--> statement-breakpoint
CREATE INDEX `sample_batches_seq` ON `sample_batches` (`version_id`,`seq_start`);--> statement-breakpoint
CREATE INDEX `sample_batches_observed` ON `sample_batches` (`model_id`,`observed_at`);--> statement-breakpoint
CREATE TABLE `sample_counters` (
	`version_id` integer PRIMARY KEY NOT NULL,
	`total` integer NOT NULL,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `sample_ids` (
	`model_id` integer NOT NULL,
	`sample_id` text NOT NULL,
	`batch_id` integer NOT NULL,
	PRIMARY KEY(`model_id`, `sample_id`),
	FOREIGN KEY (`model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`batch_id`) REFERENCES `sample_batches`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `sample_labels` (
	`model_id` integer NOT NULL,
	`sample_id` text NOT NULL,
	`label` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`model_id`, `sample_id`),
	FOREIGN KEY (`model_id`) REFERENCES `models`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
