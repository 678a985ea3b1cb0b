-- A job may carry a dedup key: a schedule's due time inserts its job with one, so a
-- second insert of the same firing (a retry after an error, another queen) fails on the
-- unique index instead of making a second job. Partial: other jobs have none.
ALTER TABLE "jobs" ADD COLUMN "dedup_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_project_dedup_key_unique" ON "jobs" USING btree ("project_id","dedup_key") WHERE dedup_key is not null;