/**
 * What `hive run` sends beside the ref: `--param NAME=value` (repeatable) as the trigger's
 * `params`, and `--file PATH` (repeatable) as files — which make the request
 * `multipart/form-data`, the JSON body in its `job` field first (so the queen refuses bad
 * parameters before any file travels) and each file under its base name, streamed from
 * disk rather than read into memory.
 */
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { api, ApiError } from './client.ts';
import { CliUsageError, type CliConfig } from './config.ts';

/** `["TARGET=prod", "NOTES="]` → `{TARGET: "prod", NOTES: ""}`; a value may hold `=`. */
export function paramOptions(values: readonly string[] = []): Record<string, string> {
  const params: Record<string, string> = {};
  for (const option of values) {
    const eq = option.indexOf('=');
    if (eq <= 0) throw new CliUsageError(`--param needs NAME=value, got "${option}"`);
    const name = option.slice(0, eq);
    if (Object.hasOwn(params, name)) throw new CliUsageError(`--param ${name} is given twice`);
    params[name] = option.slice(eq + 1);
  }
  return params;
}

export interface FileOption {
  /** The name the file gets in the workspace: its base name. */
  name: string;
  path: string;
}

/** The `--file` paths, each a readable regular file, their base names unique. */
export async function fileOptions(paths: readonly string[] = []): Promise<FileOption[]> {
  const files: FileOption[] = [];
  for (const path of paths) {
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new CliUsageError(`--file ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
    if (!info.isFile()) throw new CliUsageError(`--file ${path}: not a regular file`);
    const name = basename(path);
    const same = files.find((f) => f.name === name);
    if (same) throw new CliUsageError(`--file ${path} and ${same.path} would both be "${name}" in the workspace`);
    files.push({ name, path });
  }
  return files;
}

/** POSTs a trigger: JSON, or multipart when there are files. Answers as `api()` does. */
export async function sendTrigger<T = any>(config: CliConfig, path: string, body: object, files: readonly FileOption[]): Promise<T> {
  if (files.length === 0) return api<T>(config, 'POST', path, body);
  const form = new FormData();
  form.append('job', JSON.stringify(body));
  for (const file of files) form.append('file', await openAsBlob(file.path), file.name);
  const res = await fetch(`${config.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${config.token}`, 'x-hive-client': 'cli' },
    body: form,
  });
  const text = await res.text();
  if (!res.ok) {
    const message = (() => {
      try {
        return JSON.parse(text).error.message as string;
      } catch {
        return text; // not our JSON error shape: show the body as it is
      }
    })();
    throw new ApiError(res.status, `POST ${path} → ${res.status}: ${message}`);
  }
  return JSON.parse(text) as T;
}
