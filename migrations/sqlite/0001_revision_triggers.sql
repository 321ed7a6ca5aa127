-- Bump models.revision whenever something a version or alias view shows changes.
-- Triggers (not service code) so every writer, in any process, keeps cached reads honest.
CREATE TRIGGER `versions_insert_revision` AFTER INSERT ON `versions` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = NEW.`model_id`; END;
--> statement-breakpoint
CREATE TRIGGER `aliases_insert_revision` AFTER INSERT ON `aliases` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = NEW.`model_id`; END;
--> statement-breakpoint
CREATE TRIGGER `model_tags_insert_revision` AFTER INSERT ON `model_tags` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = NEW.`model_id`; END;
--> statement-breakpoint
CREATE TRIGGER `version_tags_insert_revision` AFTER INSERT ON `version_tags` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = (SELECT `model_id` FROM `versions` WHERE `id` = NEW.`version_id`); END;
--> statement-breakpoint
CREATE TRIGGER `version_params_insert_revision` AFTER INSERT ON `version_params` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = (SELECT `model_id` FROM `versions` WHERE `id` = NEW.`version_id`); END;
--> statement-breakpoint
CREATE TRIGGER `version_metrics_insert_revision` AFTER INSERT ON `version_metrics` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = (SELECT `model_id` FROM `versions` WHERE `id` = NEW.`version_id`); END;
--> statement-breakpoint
CREATE TRIGGER `versions_update_revision` AFTER UPDATE ON `versions` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = NEW.`model_id`; END;
--> statement-breakpoint
CREATE TRIGGER `aliases_update_revision` AFTER UPDATE ON `aliases` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = NEW.`model_id`; END;
--> statement-breakpoint
CREATE TRIGGER `model_tags_update_revision` AFTER UPDATE ON `model_tags` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = NEW.`model_id`; END;
--> statement-breakpoint
CREATE TRIGGER `version_tags_update_revision` AFTER UPDATE ON `version_tags` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = (SELECT `model_id` FROM `versions` WHERE `id` = NEW.`version_id`); END;
--> statement-breakpoint
CREATE TRIGGER `version_params_update_revision` AFTER UPDATE ON `version_params` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = (SELECT `model_id` FROM `versions` WHERE `id` = NEW.`version_id`); END;
--> statement-breakpoint
CREATE TRIGGER `version_metrics_update_revision` AFTER UPDATE ON `version_metrics` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = (SELECT `model_id` FROM `versions` WHERE `id` = NEW.`version_id`); END;
--> statement-breakpoint
CREATE TRIGGER `versions_delete_revision` AFTER DELETE ON `versions` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = OLD.`model_id`; END;
--> statement-breakpoint
CREATE TRIGGER `aliases_delete_revision` AFTER DELETE ON `aliases` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = OLD.`model_id`; END;
--> statement-breakpoint
CREATE TRIGGER `model_tags_delete_revision` AFTER DELETE ON `model_tags` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = OLD.`model_id`; END;
--> statement-breakpoint
CREATE TRIGGER `version_tags_delete_revision` AFTER DELETE ON `version_tags` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = (SELECT `model_id` FROM `versions` WHERE `id` = OLD.`version_id`); END;
--> statement-breakpoint
CREATE TRIGGER `version_params_delete_revision` AFTER DELETE ON `version_params` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = (SELECT `model_id` FROM `versions` WHERE `id` = OLD.`version_id`); END;
--> statement-breakpoint
CREATE TRIGGER `version_metrics_delete_revision` AFTER DELETE ON `version_metrics` BEGIN UPDATE `models` SET `revision` = `revision` + 1 WHERE `id` = (SELECT `model_id` FROM `versions` WHERE `id` = OLD.`version_id`); END;
