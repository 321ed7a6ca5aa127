ALTER TABLE `version_params` ADD `value_type` text DEFAULT 'string' NOT NULL;--> statement-breakpoint
CREATE INDEX `events_model_name` ON `events` (`model_name`,`id`);