CREATE TABLE "queens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"address" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"beat_ms" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "drones" ADD COLUMN "queen_id" uuid;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "late_result" jsonb;