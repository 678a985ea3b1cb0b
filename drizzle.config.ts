import { defineConfig } from 'drizzle-kit';

// Used only by `npm run db:generate` to turn server/db/schema.ts into SQL migrations.
export default defineConfig({
  dialect: 'postgresql',
  schema: './server/db/schema.ts',
  out: './migrations',
});
