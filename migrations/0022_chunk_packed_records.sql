-- A log chunk's compressed records are stored as bytes (`packed`), no longer as base64 text
-- in `body`: a third fewer bytes for the database to write, and on disk, and no encoding
-- on the queen's thread (server/db/log-chunk-body.ts). Out of line and never compressed
-- again by TOAST, as `body` is (0020). Rows stored before keep their `body`; a row has one
-- of the two, never both.
ALTER TABLE "job_log_chunks" ALTER COLUMN "body" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "job_log_chunks" ADD COLUMN "packed" "bytea";--> statement-breakpoint
ALTER TABLE "job_log_chunks" ALTER COLUMN "packed" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "job_log_chunks" ADD CONSTRAINT "job_log_chunks_body_or_packed" CHECK (("job_log_chunks"."body" is null) <> ("job_log_chunks"."packed" is null));
