/**
 * Seals secret plugin fields that older rows hold in plain text (stored before Hive sealed
 * them), once at queen start, so they do not wait for the project's next save. Each row is
 * written only if it is still what was read: a project saved meanwhile (by an admin, another
 * queen doing the same pass) is sealed already and stays as it is. Jobs resolved before the
 * upgrade keep their stored plugins as they are (opening passes plain values through).
 */
import { and, eq, sql } from 'drizzle-orm';
import type { SecretBox } from '../auth/secret-box.ts';
import type { Db } from '../db/client.ts';
import { listProjects, projectChangedHere } from '../db/projects.ts';
import { projects } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { PluginRegistry } from '../../plugins/loader.ts';
import { sealPluginSecrets } from './sealed-plugin-config.ts';

/** How many projects it sealed. */
export async function sealStoredPluginSecrets(db: Db, box: SecretBox, registry: PluginRegistry, log: Logger): Promise<number> {
  let sealed = 0;
  for (const project of await listProjects(db)) {
    const stored = JSON.stringify(project.plugins);
    const next = sealPluginSecrets(box, registry, project.plugins);
    if (JSON.stringify(next) === stored) continue;
    // A change of the settings like any other: a form opened before it is stale (projects.version).
    const rows = await db.update(projects).set({ plugins: next, version: sql`${projects.version} + 1` })
      .where(and(eq(projects.id, project.id), sql`${projects.plugins} = ${stored}::jsonb`))
      .returning({ id: projects.id });
    projectChangedHere(db, project.id);
    sealed += rows.length;
  }
  if (sealed > 0) log.info({ projects: sealed }, 'sealed secret plugin fields stored in plain text by an earlier version');
  return sealed;
}
