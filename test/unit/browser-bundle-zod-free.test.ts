/**
 * Browser scripts share types and constants with the queen through common/, whose protocol
 * and live-event modules use zod. A value import of one of those would bundle all of zod
 * (~750 KB) into the pages' scripts: they must import types only, or from zod-free files
 * such as common/protocol/constants.ts. Checked on what esbuild actually bundles.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { build } from 'esbuild';

const clientDir = fileURLToPath(new URL('../../web/client/', import.meta.url));

it('no browser script bundles zod', async () => {
  const entryPoints = readdirSync(clientDir).filter((f) => f.endsWith('.ts')).map((f) => `${clientDir}${f}`);
  const result = await build({ entryPoints, bundle: true, write: false, format: 'esm', outdir: '/out', metafile: true, logLevel: 'silent' });
  const zodInputs = Object.keys(result.metafile.inputs).filter((path) => /node_modules\/zod\//.test(path));
  assert.deepEqual(zodInputs, []);
});
