/**
 * First paint of a project page with 10,000 builds (and of the dashboard and a build
 * page), measured in chromium: server response time and first-contentful-paint.
 *   node --import tsx bench/ui-first-paint.ts
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { maintainPglite } from '../server/db/pglite-maintenance.ts';
import { jobs, projects } from '../server/db/schema.ts';
import { loggedInBrowser } from './ui-helpers.ts';

const BUILDS = 10_000;
const RUNS = 11;
const { queen, context, close } = await loggedInBrowser();
const db = queen.testDb.db;
const project = (await queen.api('POST', '/api/projects', { name: 'big', repoUrl: '/srv/git/big' })).body;
const statuses = ['passed', 'failed', 'passed', 'errored', 'cancelled', 'passed'] as const;
const t0 = Date.now();
for (let from = 1; from <= BUILDS; from += 1000) {
  await db.insert(jobs).values(Array.from({ length: 1000 }, (_, i) => {
    const n = from + i;
    const at = new Date(Date.now() - (BUILDS - n) * 60_000);
    return {
      id: randomUUID(), projectId: project.id, number: n, type: 'TEST' as const, status: statuses[n % statuses.length],
      ref: { branch: n % 7 === 0 ? `feature-${n % 13}` : 'main', sha: n.toString(16).padStart(40, 'a') },
      trigger: { source: { type: 'webhook' as const, provider: 'github' }, author: { username: 'dev' }, message: `commit ${n}: change things`, at: at.toISOString() },
      createdAt: at, startedAt: at, finishedAt: new Date(at.getTime() + 42_000),
    };
  }));
}
await db.update(projects).set({ nextJobNumber: BUILDS + 1 }).where(sql`${projects.id} = ${project.id}`);
console.log(`inserted ${BUILDS} builds in ${Date.now() - t0} ms`);
// What the queen's maintenance pass does within HIVE_DB_MAINTENANCE_MS of such growth on PGlite.
if (queen.testDb.pglite) await maintainPglite(queen.testDb.pglite);
const lastJob = (await queen.api('GET', `/api/projects/${project.id}/jobs?limit=1`)).body.jobs[0];

// One tab navigating from page to page, as a user does (a fresh tab adds process start-up).
const page = await context.newPage();
async function measure(label: string, path: string, from: string) {
  const results: { server: number; fcp: number }[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    await page.goto(from);
    await page.goto(`${queen.url}${path}`, { waitUntil: 'load' });
    await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0);
    const result = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return { server: nav.responseEnd - nav.requestStart, fcp: fcp.startTime };
    });
    if (i > 0) results.push(result); // the first run warms caches (assets, query plans)
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${label.padEnd(60)} response ${median(results.map((r) => r.server)).toFixed(1)} ms, first contentful paint ${median(results.map((r) => r.fcp)).toFixed(1)} ms (median of ${RUNS})`);
}
const pages: [string, string][] = [
  ['project page, 10,000 builds', `/projects/${project.id}`],
  ['project page, filtered (branch, status)', `/projects/${project.id}?branch=feature-3&status=failed`],
  ['project page, 100 pages back', `/projects/${project.id}?before=5000`],
  ['dashboard', '/'],
  ['build page', `/builds/${lastJob.id}`],
];
// A running queen has served these pages before: warm its code paths (and the tab's caches) first.
for (let i = 0; i < 5; i++) for (const [, path] of pages) await page.goto(`${queen.url}${path}`, { waitUntil: 'load' });
// From a blank tab (a link from elsewhere, e.g. a commit status), and from another Hive page.
for (const [label, path] of pages) await measure(label, path, 'about:blank');
for (const [label, path] of pages) await measure(`${label}, from a Hive page`, path, `${queen.url}/account`);
await close();
