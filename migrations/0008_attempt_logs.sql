ALTER TABLE "job_commands" ADD COLUMN "attempt" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
-- Until now only the current attempt's commands were kept: they belong to it.
UPDATE "job_commands" SET "attempt" = "jobs"."attempt" FROM "jobs" WHERE "jobs"."id" = "job_commands"."job_id" AND "jobs"."attempt" <> 1;--> statement-breakpoint
ALTER TABLE "job_commands" DROP CONSTRAINT "job_commands_job_id_idx_pk";--> statement-breakpoint
ALTER TABLE "job_log_chunks" DROP CONSTRAINT "job_log_chunks_job_id_seq_from_pk";--> statement-breakpoint
ALTER TABLE "job_commands" ADD CONSTRAINT "job_commands_job_id_attempt_idx_pk" PRIMARY KEY("job_id","attempt","idx");--> statement-breakpoint
ALTER TABLE "job_log_chunks" ADD CONSTRAINT "job_log_chunks_job_id_attempt_seq_from_pk" PRIMARY KEY("job_id","attempt","seq_from");
