-- A project's change is announced (migration 0015) when an update names one of its
-- settings' columns: every column but `next_job_number`. Taking a job number (an update
-- of that column alone, once per job) then fires no trigger at all, where before its WHEN
-- turned the whole row into jsonb twice, for every job. The WHEN stays, so an update that
-- names a column without changing anything is not announced either.
-- A column added to `projects` must be added to this list (test/integration/kept-rows.test.ts
-- checks that the list is every column but the counter).
DROP TRIGGER "projects_update_change_feed" ON "projects";
--> statement-breakpoint
CREATE TRIGGER "projects_update_change_feed" AFTER UPDATE OF
  "id", "name", "repo_url", "default_branch", "plugins", "config", "version", "provider", "forge_repo",
  "forge_api_url", "forge_token_enc", "webhook_secret_enc", "clone_credentials_enc", "secrets_enc",
  "registry_logins_enc", "branch_rules", "trusted", "default_priority", "max_concurrent", "parameters",
  "schedules", "private", "workspace", "workspace_caches", "created_at", "updated_at"
  ON "projects"
  FOR EACH ROW WHEN ((to_jsonb(OLD) - 'next_job_number') IS DISTINCT FROM (to_jsonb(NEW) - 'next_job_number'))
  EXECUTE FUNCTION "hive_notify_row_changed"('hive_project_changed');
