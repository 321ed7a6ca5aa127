ALTER TABLE `drift_reports` ADD `reference_version` integer;--> statement-breakpoint
ALTER TABLE `drift_reports` ADD `failure_reason` text;