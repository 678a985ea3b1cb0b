-- A log chunk's body is stored as it is, out of line, never compressed again by TOAST.
-- Large bodies are brotli output as base64 (server/db/log-chunk-body.ts): TOAST's pglz
-- found nothing to take from them on ordinary logs, but scanned every one to the end
-- before giving up — on PGlite in the queen's own thread, ~15 % of its time while it
-- ingested a 17 MB compiler log (bench/log-ingest.ts), ~40–60 ms per MB of body. Rows
-- written before keep what they were stored as; both read back the same.
ALTER TABLE "job_log_chunks" ALTER COLUMN "body" SET STORAGE EXTERNAL;
