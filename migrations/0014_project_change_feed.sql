-- Projects join the change feed (server/db/change-feed.ts): every job reads its project's
-- row several times (trigger, resolution, assignment, hooks, commit statuses), which the
-- embedded database's queen keeps instead. As in 0013, only a session that set
-- hive.change_feed = 'on' is notified.
CREATE FUNCTION "hive_notify_project_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('hive_project_changed', '');
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('hive_project_changed', OLD.id::text);
  ELSE
    PERFORM pg_notify('hive_project_changed', NEW.id::text);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "projects_change_feed" AFTER INSERT OR UPDATE OR DELETE ON "projects"
  FOR EACH ROW WHEN (current_setting('hive.change_feed', true) = 'on') EXECUTE FUNCTION "hive_notify_project_changed"();
--> statement-breakpoint
CREATE TRIGGER "projects_truncate_change_feed" AFTER TRUNCATE ON "projects"
  FOR EACH STATEMENT WHEN (current_setting('hive.change_feed', true) = 'on') EXECUTE FUNCTION "hive_notify_project_changed"();
