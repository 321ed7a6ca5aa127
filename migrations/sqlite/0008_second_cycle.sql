ALTER TABLE `sample_batches` ADD `prediction_kind` text;--> statement-breakpoint
ALTER TABLE `versions` ADD `task` text;--> statement-breakpoint
ALTER TABLE `webhook_deliveries` ADD `message_id` text;