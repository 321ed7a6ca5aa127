ALTER TABLE `sample_batches` ADD `prediction_kind` text;--> statement-breakpoint
ALTER TABLE `versions` ADD `task` text;