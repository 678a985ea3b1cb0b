#!/usr/bin/env node
// The `hive` command from a clone's TypeScript sources, compiled on the fly by tsx (a dev
// dependency): what the tests run, and what a developer runs to try an edit without
// `npm run build`. The installed package's `hive` is the compiled dist/scripts/hive.js.
import { register } from 'tsx/esm/api';

register();
await import('./hive.ts');
