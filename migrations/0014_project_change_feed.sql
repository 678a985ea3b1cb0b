-- Projects join the change feed (server/db/change-feed.ts, migration 0013): every job
-- reads its project's row several times (trigger, resolution, assignment, hooks, commit
-- statuses), which the embedded database's queen keeps instead.
CREATE TRIGGER "projects_change_feed" AFTER INSERT OR UPDATE OR DELETE ON "projects"
  FOR EACH ROW WHEN (current_setting('hive.change_feed', true) = 'on') EXECUTE FUNCTION "hive_notify_row_changed"('hive_project_changed');
--> statement-breakpoint
CREATE TRIGGER "projects_truncate_change_feed" AFTER TRUNCATE ON "projects"
  FOR EACH STATEMENT WHEN (current_setting('hive.change_feed', true) = 'on') EXECUTE FUNCTION "hive_notify_row_changed"('hive_project_changed');
