/** `docker`: runs the job in a container — image, pull policy, limits, privileged, services. */
import { z } from 'zod';
import { definePlugin } from '../api.ts';
import { PULL_POLICIES } from '../../common/protocol/index.ts';

const name = z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be a lowercase host name');

export default definePlugin({
  name: 'docker',
  version: '1.0.0',
  description: 'Runs every command in a Docker container, with optional service containers.',
  configSchema: z.strictObject({
    image: z.string().min(1).optional().describe('Image the build runs in, e.g. node:20 or alpine:3.20'),
    pull: z.enum(PULL_POLICIES).default('if-not-present').describe('When the drone pulls the image'),
    /** Off by default: a privileged container can take over the drone's host. */
    privileged: z.boolean().default(false).describe('Privileged container: only for trusted projects, it can take over the drone'),
    memoryMb: z.number().int().min(4).optional().describe('Memory limit in MiB; a build past it ends with an out-of-memory message'),
    cpus: z.number().positive().max(256).optional().describe('CPU limit, e.g. 1.5'),
    services: z.array(z.strictObject({
      name,
      image: z.string().min(1),
      env: z.record(z.string(), z.string()).optional(),
      command: z.array(z.string()).optional(),
    })).max(10).default([]).describe('Service containers (a database, a cache) the job reaches by their name as host name'),
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
