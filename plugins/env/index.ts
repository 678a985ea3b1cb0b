/**
 * `env`: environment variables for every command. Plain values live in the config;
 * secret values stay in the project's encrypted secrets and are referenced by name, so
 * no secret is ever written into plugin config or the stored job spec.
 */
import { z } from 'zod';
import { definePlugin } from '../api.ts';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a valid environment variable name');

export default definePlugin({
  name: 'env',
  version: '1.0.0',
  description: 'Sets environment variables, including ones taken from project secrets.',
  configSchema: z.strictObject({
    vars: z.record(envName, z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}).describe('Plain variables; not for secrets'),
    /** Env var name → name of a project secret whose value it receives (masked in logs). */
    secrets: z.record(envName, z.string().min(1)).default({}).describe('Variable name = name of a project secret it receives'),
  }),
  phases: ({ config }) => ({ env: config.vars, secretEnv: config.secrets }),
});
