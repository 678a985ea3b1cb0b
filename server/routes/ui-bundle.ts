/**
 * The web UI's client scripts (`web/client/*.ts`) bundled for browsers by esbuild. The build
 * (`npm run build`) writes them into `dist/web/assets/`, so an installed queen only serves
 * files; a queen running from the TypeScript sources bundles them in memory at start
 * instead (tens of milliseconds), so editing a client file needs no build step.
 */
/** Served name → entry point under `web/`. */
export const CLIENT_SCRIPTS = {
  'live.js': 'client/live-page.ts',
  'build-page.js': 'client/build-page.ts',
  'lists.js': 'client/live-lists.ts',
  'forms.js': 'client/api-forms.ts',
} as const;

export type ClientScriptName = keyof typeof CLIENT_SCRIPTS;

/** Where the build puts the bundles, relative to the compiled `web/` folder. */
export const BUNDLE_DIR = 'assets';

/** Bundles every client script from the sources in `webSourceDir`; esbuild is loaded only now (a dev dependency). */
export async function bundleClientScripts(webSourceDir: string): Promise<{ name: ClientScriptName; contents: Uint8Array }[]> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(CLIENT_SCRIPTS).map(([name, src]) => [name.replace(/\.js$/, ''), `${webSourceDir}${src}`])),
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    outdir: '/out',
    logLevel: 'silent',
    legalComments: 'none',
  });
  return result.outputFiles.map((file) => ({ name: file.path.replace(/^.*\//, '') as ClientScriptName, contents: file.contents }));
}

