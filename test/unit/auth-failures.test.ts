import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { AuthFailures } from '../../server/auth/auth-failures.ts';
import type { Logger } from '../../server/logger.ts';

describe('rejected credentials', () => {
  it('counts every one, logs one warn line per kind and source per interval with the suppressed count', async () => {
    const lines: { details: Record<string, unknown>; message: string }[] = [];
    const log = { warn: (details: Record<string, unknown>, message: string) => lines.push({ details, message }) } as unknown as Logger;
    const registry = new Registry();
    const failures = new AuthFailures(log, registry, 10_000);
    for (let t = 0; t < 5; t++) failures.report('login', '203.0.113.7', 'wrong username or password', { username: 'admin' }, t);
    failures.report('login', '192.0.2.1', 'wrong username or password', {}, 5);
    failures.report('webhook', '203.0.113.7', 'bad signature', {}, 6);
    assert.equal(lines.length, 3, 'one line per kind and source');
    failures.report('login', '203.0.113.7', 'wrong username or password', {}, 10_001);
    assert.equal(lines.length, 4);
    assert.equal(lines[3].details.suppressed, 4);
    assert.match(lines[0].message, /rejected login credentials: wrong username or password/);
    const text = await registry.metrics();
    assert.match(text, /^hive_auth_failures_total\{kind="login"\} 7$/m);
    assert.match(text, /^hive_auth_failures_total\{kind="webhook"\} 1$/m);
    assert.match(text, /^hive_auth_failures_total\{kind="drone"\} 0$/m);
  });
});
