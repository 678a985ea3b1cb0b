/** `docker`: runs the job in a container — image, pull policy, limits, privileged, services. */
import { z } from 'zod';
import { definePlugin } from '../api.ts';

const name = z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be a lowercase host name');

export default definePlugin({
  name: 'docker',
  version: '1.0.0',
  description: 'Runs every command in a Docker container, with optional service containers.',
  configSchema: z.strictObject({
    image: z.string().min(1).optional(),
    pull: z.enum(['always', 'if-not-present', 'never']).default('if-not-present'),
    /** Off by default: a privileged container can take over the drone's host. */
    privileged: z.boolean().default(false),
    memoryMb: z.number().int().min(4).optional(),
    cpus: z.number().positive().max(256).optional(),
    services: z.array(z.strictObject({
      name,
      image: z.string().min(1),
      env: z.record(z.string(), z.string()).optional(),
      command: z.array(z.string()).optional(),
    })).max(10).default([]),
  }),
  phases: ({ config }) => ({
    ...(config.image ? { image: config.image } : {}),
    container: {
      pull: config.pull,
      privileged: config.privileged,
      ...(config.memoryMb ? { memoryMb: config.memoryMb } : {}),
      ...(config.cpus ? { cpus: config.cpus } : {}),
    },
    services: config.services,
    labels: ['docker'],
  }),
});
