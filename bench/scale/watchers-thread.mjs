// A worker thread's entry: worker threads do not inherit the tsx loader, so it registers
// it and then runs the TypeScript watchers (watchers-worker.ts).
import { register } from 'tsx/esm/api';

register();
await import('./watchers-worker.ts');
