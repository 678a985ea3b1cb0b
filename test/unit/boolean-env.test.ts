import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBooleanEnv } from '../../common/boolean-env.ts';
import { ConfigError } from '../../common/config-error.ts';
import { loadDroneConfig } from '../../drone/config.ts';
import { loadConfig } from '../../server/config.ts';

describe('parseBooleanEnv', () => {
  it('accepts 1/0, true/false, yes/no, on/off in any case', () => {
    for (const raw of ['1', 'true', 'TRUE', 'Yes', 'on', ' on ']) assert.equal(parseBooleanEnv('X', raw, false), true, raw);
    for (const raw of ['0', 'false', 'False', 'NO', 'off']) assert.equal(parseBooleanEnv('X', raw, true), false, raw);
  });

  it('gives the fallback when unset or empty', () => {
    assert.equal(parseBooleanEnv('X', undefined, true), true);
    assert.equal(parseBooleanEnv('X', '', false), false);
    assert.equal(parseBooleanEnv('X', '  ', true), true);
  });

  it('refuses anything else with a ConfigError naming the variable and the value', () => {
    assert.throws(() => parseBooleanEnv('HIVE_X', 'maybe', false), (err) =>
      err instanceof ConfigError && err.message === 'Expected HIVE_X to be a boolean (true/false/1/0), got "maybe"');
  });
});

describe('queen and drone read booleans alike', () => {
  const drone = (raw: string) => loadDroneConfig(['--queen', 'ws://q', '--token', 'T'], { HIVE_DRONE_KEEP_WORKSPACES: raw },
    { hostname: 'h', parallelism: 1, cwd: '/', readFile: () => '' }).keepWorkspaces;
  const queen = (raw: string) => loadConfig({ HIVE_LOCAL_DRONE: raw }).localDrone;

  it('yes/on and no/off mean the same to both', () => {
    for (const [raw, value] of [['yes', true], ['ON', true], ['no', false], ['Off', false]] as const) {
      assert.equal(drone(raw), value, `drone ${raw}`);
      assert.equal(queen(raw), value, `queen ${raw}`);
    }
  });

  it('both throw the one ConfigError class', () => {
    assert.throws(() => drone('maybe'), ConfigError);
    assert.throws(() => queen('maybe'), ConfigError);
  });
});
