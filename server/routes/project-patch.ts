/**
 * `PATCH /api/projects/:id` without lost updates. The new row is derived from the stored
 * one (secret plugin fields and write-only values kept, schedule baselines computed
 * against the schedules it replaces), so it is written only if the row is still at the
 * version it was read at (`updateProject`'s `ifVersion`). When another change landed in
 * between:
 * - a client that said which version it changed (`If-Match: "3"`) gets a 412 and nothing
 *   is written — a person's edit of a page opened before someone else's save is refused
 *   rather than silently undoing it;
 * - otherwise the change is derived again from the new row (the last try with the row
 *   locked), so changes of different fields at once all land (each field is
 *   last-writer-wins, as before).
 */
import type { z } from 'zod';
import type { PluginRegistry } from '../../plugins/loader.ts';
import type { SecretBox } from '../auth/secret-box.ts';
import type { Db } from '../db/client.ts';
import { findProjectByName, readProject, updateProjectAtVersion, withProjectLocked, type Project } from '../db/projects.ts';
import { ConflictError, mustExist, PreconditionFailedError } from '../errors.ts';
import type { ScheduleLoop } from '../schedules/schedule-loop.ts';
import { checkScheduleParams } from '../schedules/schedule-params.ts';
import type { updateProjectBody } from './api-schemas.ts';
import { savePluginList } from './plugin-secrets.ts';
import { projectFields } from './project-fields.ts';
import { satisfies, type VersionPrecondition } from './version-precondition.ts';

export interface ProjectPatchDeps {
  db: Db;
  plugins: PluginRegistry;
  secretBox: SecretBox;
  schedules: Pick<ScheduleLoop, 'changing' | 'changed'>;
}

type Body = z.output<typeof updateProjectBody>;

/**
 * How many times a change without a precondition is derived from an unlocked read before
 * the last try, which locks the row from its read to its write (`withProjectLocked`) so it
 * lands however many changes race it. Each retry means another change of the same project
 * was stored meanwhile: rare, so the optimistic tries are what nearly every change costs.
 */
const OPTIMISTIC_ATTEMPTS = 3;

/** The stored row after the change; 404, 409 (name taken), 412 or 400 otherwise. */
export async function patchProject(deps: ProjectPatchDeps, id: string, body: Body, precondition: VersionPrecondition): Promise<Project> {
  const { db } = deps;
  if (body.name) {
    const other = await findProjectByName(db, body.name);
    if (other && other.id !== id) throw new ConflictError(`A project named "${body.name}" already exists`);
  }
  const attempt = async (on: Db, existing: Project | undefined) => writeIfUnchanged(deps, on, atRequiredVersion(mustExist(existing, 'Project', id), precondition), body);
  // Nothing to change: nothing written, the version stays (its precondition still holds or not).
  if (Object.keys(body).length === 0) return atRequiredVersion(mustExist(await readProject(db, id), 'Project', id), precondition);
  let stored: Project | undefined;
  for (let i = 0; i < OPTIMISTIC_ATTEMPTS && !stored; i++) stored = await attempt(db, await readProject(db, id));
  // Locked, nothing can land between the read and the write: this try writes.
  stored ??= mustExist(await withProjectLocked(db, id, (tx, existing) => attempt(tx, existing)), 'Project', id);
  if (body.schedules) deps.schedules.changed();
  return stored;
}

/** `project` when it is at a version the precondition names; else a 412, nothing written. */
function atRequiredVersion(project: Project, precondition: VersionPrecondition): Project {
  if (satisfies(precondition, project.version)) return project;
  throw new PreconditionFailedError(`Project ${project.name} was changed since the version this change was made on `
    + `(it is at version ${project.version} now, ETag "${project.version}"): nothing was saved; read it again and redo the change`);
}

/** The change derived from `existing` and stored, or undefined when the row is no longer at its version (nothing written). */
async function writeIfUnchanged(deps: ProjectPatchDeps, db: Db, existing: Project, body: Body): Promise<Project | undefined> {
  const { secretBox } = deps;
  const { secrets: _s, registryLogins: _r, credentials: _c, forgeToken: _f, webhookSecret: _w, plugins: incoming, schedules, ...plain } = body;
  // Secret plugin fields left out keep their stored values (they are never shown to send back); all are sealed.
  const plugins = incoming && savePluginList(secretBox, deps.plugins, incoming, existing.plugins);
  if (schedules || body.parameters) checkScheduleParams(schedules ?? existing.schedules, body.parameters ?? existing.parameters);
  const patch = { ...plain, ...(plugins && { plugins }), ...(schedules && { schedules }), ...projectFields(secretBox, body, existing) };
  // The schedules' new baselines (computed against `existing.schedules`) are stored with
  // the row they belong to, in its transaction: none from a write that lost the race, and
  // no schedule loop sees the changed schedules without them (both appear at the commit).
  return updateProjectAtVersion(db, existing.id, patch, existing.version,
    schedules && ((tx) => deps.schedules.changing(existing.id, existing.schedules, schedules, tx)));
}
