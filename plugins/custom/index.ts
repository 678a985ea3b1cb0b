/** `custom`: shell commands per phase, written in the project settings or .hive.yml. */
import { z } from 'zod';
import { PHASES } from '../../common/protocol/index.ts';
import { definePlugin } from '../api.ts';

const commands = z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string().min(1)).max(500));

export default definePlugin({
  name: 'custom',
  version: '1.0.0',
  description: 'Runs your own shell commands in each phase.',
  configSchema: z.strictObject(Object.fromEntries(PHASES.map((p) => [p, commands.optional()])) as Record<(typeof PHASES)[number], z.ZodOptional<typeof commands>>),
  phases: ({ config }) => ({ commands: config }),
});
