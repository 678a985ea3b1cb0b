-- The change feed of cached rows (server/db/change-feed.ts). The triggers notify only in
-- a session that set hive.change_feed = 'on' — the embedded database's queen, the only
-- writer of its database — so on PostgreSQL, where no session sets it, they cost a WHEN
-- test and send nothing. One function for every table: the channel is the trigger's
-- argument; a row's trigger sends its id, a TRUNCATE '' (every row may have changed).
CREATE FUNCTION "hive_notify_row_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    PERFORM pg_notify(TG_ARGV[0], '');
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify(TG_ARGV[0], OLD.id::text);
  ELSE
    PERFORM pg_notify(TG_ARGV[0], NEW.id::text);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "users_change_feed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "users"
  FOR EACH STATEMENT WHEN (current_setting('hive.change_feed', true) = 'on') EXECUTE FUNCTION "hive_notify_row_changed"('hive_auth_changed');
--> statement-breakpoint
CREATE TRIGGER "api_tokens_change_feed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "api_tokens"
  FOR EACH STATEMENT WHEN (current_setting('hive.change_feed', true) = 'on') EXECUTE FUNCTION "hive_notify_row_changed"('hive_auth_changed');
--> statement-breakpoint
CREATE TRIGGER "sessions_change_feed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "sessions"
  FOR EACH STATEMENT WHEN (current_setting('hive.change_feed', true) = 'on') EXECUTE FUNCTION "hive_notify_row_changed"('hive_auth_changed');
--> statement-breakpoint
CREATE TRIGGER "jobs_change_feed" AFTER INSERT OR UPDATE OR DELETE ON "jobs"
  FOR EACH ROW WHEN (current_setting('hive.change_feed', true) = 'on') EXECUTE FUNCTION "hive_notify_row_changed"('hive_job_changed');
--> statement-breakpoint
CREATE TRIGGER "jobs_truncate_change_feed" AFTER TRUNCATE ON "jobs"
  FOR EACH STATEMENT WHEN (current_setting('hive.change_feed', true) = 'on') EXECUTE FUNCTION "hive_notify_row_changed"('hive_job_changed');
