import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ConfigError } from '../../common/config-error.ts';
import { DEFAULT_GIT_TIMEOUTS, gitTimeoutsFromEnv, lowSpeedConfig, sshCommandWithTimeouts } from '../../common/git/git-timeouts.ts';
import { probeTarget } from '../../common/git/connect-probe.ts';

it('reads the git timeouts from the environment, with defaults, and refuses nonsense', () => {
  assert.deepEqual(gitTimeoutsFromEnv({}), DEFAULT_GIT_TIMEOUTS);
  assert.deepEqual(gitTimeoutsFromEnv({ HIVE_GIT_CONNECT_TIMEOUT_MS: '5000', HIVE_GIT_LOW_SPEED_MS: '2500', HIVE_GIT_LOW_SPEED_LIMIT: '1', HIVE_GIT_TIMEOUT_MS: '60000' }),
    { connectMs: 5000, lowSpeedMs: 2500, lowSpeedLimit: 1, totalMs: 60_000 });
  assert.throws(() => gitTimeoutsFromEnv({ HIVE_GIT_TIMEOUT_MS: '10m' }), (err) =>
    err instanceof ConfigError && err.message === 'Expected HIVE_GIT_TIMEOUT_MS to be an integer of at least 1000, got "10m"');
  assert.throws(() => gitTimeoutsFromEnv({ HIVE_GIT_CONNECT_TIMEOUT_MS: '10' }), ConfigError);
});

it('turns them into git and ssh options in whole seconds', () => {
  const t = { connectMs: 2500, lowSpeedMs: 30_000, lowSpeedLimit: 1000, totalMs: 600_000 };
  assert.deepEqual(lowSpeedConfig(t), ['-c', 'http.lowSpeedLimit=1000', '-c', 'http.lowSpeedTime=30']);
  assert.equal(sshCommandWithTimeouts(undefined, t), 'ssh -o ConnectTimeout=3 -o ServerAliveInterval=10 -o ServerAliveCountMax=3');
  assert.equal(sshCommandWithTimeouts('ssh -o BatchMode=yes', t).startsWith('ssh -o BatchMode=yes -o ConnectTimeout=3 '), true);
});

it('probes direct http(s) connections only', () => {
  assert.deepEqual(probeTarget('https://github.com/a/b.git', {}), { host: 'github.com', port: 443 });
  assert.deepEqual(probeTarget('http://[::1]:8080/r.git', {}), { host: '::1', port: 8080 });
  assert.equal(probeTarget('https://github.com/a/b.git', { HTTPS_PROXY: 'http://proxy:3128' }), undefined);
  assert.equal(probeTarget('git@github.com:a/b.git', {}), undefined);
  assert.equal(probeTarget('file:///srv/repo.git', {}), undefined);
});
