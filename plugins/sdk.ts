/**
 * The plugin SDK, `import { definePlugin, z } from 'hive-ci/plugin'`: the typed plugin
 * contract and the very zod the queen validates configs with, so a plugin package depends
 * on nothing but `hive-ci` (a peer dependency). The queen resolves `hive-ci/*` imports of
 * its plugins to itself (host-imports.ts), wherever the plugin is installed.
 */
export * from './api.ts';
export { z } from 'zod';
