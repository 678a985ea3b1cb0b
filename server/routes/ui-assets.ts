/**
 * The web UI's static assets: one stylesheet and a few client scripts. Scripts are
 * written in TypeScript (`web/client/*.ts`); the compiled queen serves the bundles the
 * build made, a queen running from the sources bundles them in memory once (ui-bundle.ts).
 * Every asset is served by a content-hashed URL and cached by browsers for good.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runningFromSources } from '../util/tsx-loader.ts';
import { BUNDLE_DIR, CLIENT_SCRIPTS, bundleClientScripts, type ClientScriptName } from './ui-bundle.ts';

export interface Asset {
  body: Uint8Array;
  type: string;
  hash: string;
}

export type AssetName = 'style.css' | ClientScriptName;

/** `web/` of the sources, or `dist/web/` (stylesheet copied and bundles written there by the build). */
const webDir = fileURLToPath(new URL('../../web/', import.meta.url));

const hashOf = (body: Uint8Array) => createHash('sha256').update(body).digest('base64url').slice(0, 12);

async function clientScripts(): Promise<{ name: ClientScriptName; contents: Uint8Array }[]> {
  if (runningFromSources) return bundleClientScripts(webDir);
  return Promise.all((Object.keys(CLIENT_SCRIPTS) as ClientScriptName[]).map(async (name) => ({
    name,
    contents: await readFile(`${webDir}${BUNDLE_DIR}/${name}`),
  })));
}

async function loadAssets(): Promise<Map<AssetName, Asset>> {
  const assets = new Map<AssetName, Asset>();
  const css = await readFile(`${webDir}static/style.css`);
  assets.set('style.css', { body: css, type: 'text/css; charset=utf-8', hash: hashOf(css) });
  for (const { name, contents } of await clientScripts()) {
    assets.set(name, { body: contents, type: 'text/javascript; charset=utf-8', hash: hashOf(contents) });
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
