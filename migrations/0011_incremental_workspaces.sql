ALTER TABLE "projects" ADD COLUMN "workspace" text DEFAULT 'incremental' NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "workspace_caches" jsonb DEFAULT '[]'::jsonb NOT NULL;