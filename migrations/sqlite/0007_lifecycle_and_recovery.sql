CREATE TABLE `deployment` (
	`singleton` integer PRIMARY KEY NOT NULL,
	`deployment_id` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `drift_reports` ADD `generation` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `drift_reports` ADD `reference_version` integer;--> statement-breakpoint
ALTER TABLE `drift_reports` ADD `failure_reason` text;--> statement-breakpoint
ALTER TABLE `reference_profiles` ADD `source` text DEFAULT 'uploaded' NOT NULL;--> statement-breakpoint
ALTER TABLE `retrain_jobs` ADD `generation` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `retrain_jobs` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `retrain_jobs` ADD `lease_expires_at` text;--> statement-breakpoint
ALTER TABLE `retrain_jobs` ADD `evaluation` text;