-- A project's settings version (server/db/projects.ts): one more at every change of its
-- settings, so a change derived from an older row is refused instead of overwriting what
-- landed in between (the API's ETag / If-Match). Existing rows start at 1. Taking a job
-- number (`next_job_number`) does not change it.
ALTER TABLE "projects" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;
