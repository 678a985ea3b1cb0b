-- Every queen keeps project rows, on PostgreSQL too (server/db/project-change-feed.ts):
-- a project's changes are announced in every session, not only the embedded database's
-- (migration 0014), so that queens sharing a PostgreSQL hear of each other's changes.
-- Taking a job number (`next_job_number`, once per job) is not a change of the project:
-- it no longer drops the kept row, which every job would otherwise read again.
DROP TRIGGER "projects_change_feed" ON "projects";
--> statement-breakpoint
DROP TRIGGER "projects_truncate_change_feed" ON "projects";
--> statement-breakpoint
CREATE TRIGGER "projects_change_feed" AFTER INSERT OR DELETE ON "projects"
  FOR EACH ROW EXECUTE FUNCTION "hive_notify_row_changed"('hive_project_changed');
--> statement-breakpoint
CREATE TRIGGER "projects_update_change_feed" AFTER UPDATE ON "projects"
  FOR EACH ROW WHEN ((to_jsonb(OLD) - 'next_job_number') IS DISTINCT FROM (to_jsonb(NEW) - 'next_job_number'))
  EXECUTE FUNCTION "hive_notify_row_changed"('hive_project_changed');
--> statement-breakpoint
CREATE TRIGGER "projects_truncate_change_feed" AFTER TRUNCATE ON "projects"
  FOR EACH STATEMENT EXECUTE FUNCTION "hive_notify_row_changed"('hive_project_changed');
