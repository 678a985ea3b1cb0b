-- A job's change is announced (the change feed, server/db/change-feed.ts) only when the
-- row was one of an ended job: the one reader of this feed, the log route's job rows
-- (server/routes/api-job-log.ts), keeps only ended jobs' rows, whose log no longer grows.
-- A running job's row changes with every batch of its output, and announcing each change
-- (a PL/pgSQL call and a notification the queen hears back) cost ~0.3–0.4 ms of a ~0.9 ms
-- batch write on PGlite, and as much on each of a trivial build's writes (its creation,
-- claim, start and end) — for a kept row that could not exist. A new job needs no
-- announcement either: nobody keeps the row of a job that was not there.
-- The list is FINAL_STATUSES (common/protocol/constants.ts); test/integration/kept-rows.test.ts
-- fails when a status is added there and not here.
DROP TRIGGER "jobs_change_feed" ON "jobs";
--> statement-breakpoint
CREATE TRIGGER "jobs_change_feed" AFTER UPDATE OR DELETE ON "jobs"
  FOR EACH ROW WHEN (current_setting('hive.change_feed', true) = 'on'
    AND OLD.status IN ('passed', 'failed', 'errored', 'cancelled', 'timed_out'))
  EXECUTE FUNCTION "hive_notify_row_changed"('hive_job_changed');
