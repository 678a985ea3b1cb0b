ALTER TABLE "jobs" ADD COLUMN "log_pruned_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "jobs_log_retention_idx" ON "jobs" USING btree ("finished_at") WHERE log_pruned_at is null;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_received_idx" ON "webhook_deliveries" USING btree ("received_at");