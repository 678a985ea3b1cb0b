/**
 * The web UI's static assets: one stylesheet and a few client scripts. Scripts are
 * written in TypeScript (`web/client/*.ts`) and bundled in memory by esbuild when the
 * queen starts (tens of milliseconds), so there is no build step anyone must run.
 * Every asset is served by a content-hashed URL and cached by browsers for good.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface Asset {
  body: Uint8Array;
  type: string;
  hash: string;
}

export type AssetName = 'style.css' | 'live.js' | 'build-page.js' | 'lists.js' | 'forms.js';

const webDir = fileURLToPath(new URL('../../web/', import.meta.url));
const SCRIPTS: Record<Exclude<AssetName, 'style.css'>, string> = {
  'live.js': 'client/live-page.ts',
  'build-page.js': 'client/build-page.ts',
  'lists.js': 'client/live-lists.ts',
  'forms.js': 'client/api-forms.ts',
};

const hashOf = (body: Uint8Array) => createHash('sha256').update(body).digest('base64url').slice(0, 12);

async function loadAssets(): Promise<Map<AssetName, Asset>> {
  const assets = new Map<AssetName, Asset>();
  const css = await readFile(`${webDir}static/style.css`);
  assets.set('style.css', { body: css, type: 'text/css; charset=utf-8', hash: hashOf(css) });
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(SCRIPTS).map(([name, src]) => [name.replace(/\.js$/, ''), `${webDir}${src}`])),
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    outdir: '/out',
    logLevel: 'silent',
    legalComments: 'none',
  });
  for (const file of result.outputFiles) {
    const name = file.path.replace(/^.*\//, '') as AssetName;
    assets.set(name, { body: file.contents, type: 'text/javascript; charset=utf-8', hash: hashOf(file.contents) });
  }
  return assets;
}

let loading: Promise<Map<AssetName, Asset>> | undefined;

/** The assets, built once per process (the first caller pays, later ones share). */
export function uiAssets(): Promise<Map<AssetName, Asset>> {
  loading ??= loadAssets().catch((err) => {
    loading = undefined; // a broken edit of a client file can be fixed without a restart
    throw err;
  });
  return loading;
}

/** `/static/<name>?v=<hash>` for every asset, for pages to reference. */
export type AssetUrls = Record<AssetName, string>;

export async function assetUrls(): Promise<AssetUrls> {
  const assets = await uiAssets();
  return Object.fromEntries([...assets].map(([name, a]) => [name, `/static/${name}?v=${a.hash}`])) as AssetUrls;
}
