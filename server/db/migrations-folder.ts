/** Where the SQL migrations are: `migrations/` beside `server/` (and `dist/migrations/` beside `dist/server/`). */
import { fileURLToPath } from 'node:url';

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));
