-- Bump models.revision whenever something a version or alias view shows changes (the twin of
-- migrations/sqlite/0001): triggers, not service code, so every writer on any host keeps the
-- alias-resolve cache of every API process honest.
CREATE FUNCTION mlcycle_bump_revision_by_model() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE models SET revision = revision + 1
   WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.model_id ELSE NEW.model_id END);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION mlcycle_bump_revision_by_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE models SET revision = revision + 1
   WHERE id = (SELECT model_id FROM versions WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.version_id ELSE NEW.version_id END));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER versions_revision AFTER INSERT OR UPDATE OR DELETE ON versions FOR EACH ROW EXECUTE FUNCTION mlcycle_bump_revision_by_model();
--> statement-breakpoint
CREATE TRIGGER aliases_revision AFTER INSERT OR UPDATE OR DELETE ON aliases FOR EACH ROW EXECUTE FUNCTION mlcycle_bump_revision_by_model();
--> statement-breakpoint
CREATE TRIGGER model_tags_revision AFTER INSERT OR UPDATE OR DELETE ON model_tags FOR EACH ROW EXECUTE FUNCTION mlcycle_bump_revision_by_model();
--> statement-breakpoint
CREATE TRIGGER version_tags_revision AFTER INSERT OR UPDATE OR DELETE ON version_tags FOR EACH ROW EXECUTE FUNCTION mlcycle_bump_revision_by_version();
--> statement-breakpoint
CREATE TRIGGER version_params_revision AFTER INSERT OR UPDATE OR DELETE ON version_params FOR EACH ROW EXECUTE FUNCTION mlcycle_bump_revision_by_version();
--> statement-breakpoint
CREATE TRIGGER version_metrics_revision AFTER INSERT OR UPDATE OR DELETE ON version_metrics FOR EACH ROW EXECUTE FUNCTION mlcycle_bump_revision_by_version();
--> statement-breakpoint
-- Keys that lists page on sort byte-wise, as SQLite's BINARY collation does, whatever the
-- database's default collation: cursor pagination must order identically on both.
ALTER TABLE models ALTER COLUMN name TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE aliases ALTER COLUMN alias TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE artifacts ALTER COLUMN path TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE api_keys ALTER COLUMN id TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE model_tags ALTER COLUMN key TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE version_metrics ALTER COLUMN key TYPE text COLLATE "C";
