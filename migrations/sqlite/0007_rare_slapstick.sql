ALTER TABLE `reference_profiles` ADD `source` text DEFAULT 'uploaded' NOT NULL;--> statement-breakpoint
ALTER TABLE `retrain_jobs` ADD `evaluation` text;