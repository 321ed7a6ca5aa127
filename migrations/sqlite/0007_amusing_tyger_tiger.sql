ALTER TABLE `retrain_jobs` ADD `lease_owner` text;--> statement-breakpoint
ALTER TABLE `retrain_jobs` ADD `lease_expires_at` text;