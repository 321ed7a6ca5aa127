-- Push every change of a model row (its revision bump, which the revision triggers of 0001 make
-- for anything a version or alias view shows, a rename, a delete) to the API processes that
-- LISTEN on mlcycle_model_changed: their alias caches then serve hits without a round trip.
-- The payload is the model id only, so the notifications of one transaction fold into one.
-- Delivered at commit, never for a rolled-back change.
CREATE FUNCTION mlcycle_notify_model_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('mlcycle_model_changed', OLD.id::text);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER models_changed_notify AFTER UPDATE OR DELETE ON models FOR EACH ROW EXECUTE FUNCTION mlcycle_notify_model_changed();
