import assert from 'node:assert/strict';
import { it } from 'node:test';
import { SecretBox } from '../../server/auth/secret-box.ts';
import { openProjectSecret } from '../../server/forges/open-project-secret.ts';
import type { Logger } from '../../server/logger.ts';

it('opens a sealed secret, or warns with the project and answers undefined', () => {
  const warnings: unknown[][] = [];
  const log = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Logger;
  const box = new SecretBox(Buffer.alloc(32, 1));
  const other = new SecretBox(Buffer.alloc(32, 2));
  assert.equal(openProjectSecret({ secretBox: box, log }, 'p1', box.seal('tok'), 'no status sent'), 'tok');
  assert.equal(warnings.length, 0);
  assert.equal(openProjectSecret({ secretBox: box, log }, 'p1', other.seal('tok'), 'no status sent'), undefined);
  assert.equal(warnings.length, 1);
  assert.equal((warnings[0][0] as { projectId: string }).projectId, 'p1');
  assert.equal(warnings[0][1], 'no status sent');
});
