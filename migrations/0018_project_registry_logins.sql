-- A project's logins to container registries: registry host -> its user name and the
-- secret-box ciphertext of its password (server/jobs/registry-logins.ts).
ALTER TABLE "projects" ADD COLUMN "registry_logins_enc" jsonb DEFAULT '{}'::jsonb NOT NULL;