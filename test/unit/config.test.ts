import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../server/config.ts';
import { ConfigError } from '../../server/errors.ts';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.match(c.dataDir, /\.hive$/);
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.localDrone, true);
    assert.equal(c.publicUrl, 'http://localhost:8080');
  });

  it('says what it expected and what it got', () => {
    assert.throws(() => loadConfig({ HIVE_PORT: 'eighty' }), (e: Error) =>
      e instanceof ConfigError && /Expected HIVE_PORT to be an integer between 0 and 65535, got "eighty"/.test(e.message));
    assert.throws(() => loadConfig({ HIVE_LOCAL_DRONE: 'maybe' }), /Expected HIVE_LOCAL_DRONE to be a boolean \(true\/false\/1\/0\), got "maybe"/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'mysql://x/y' }), /Expected DATABASE_URL to use postgres: or postgresql:/);
    assert.throws(() => loadConfig({ HIVE_ADMIN_TOKEN: 'short' }), /at least 16 characters/);
    assert.throws(() => loadConfig({}, ['--frobnicate']), /--frobnicate/);
  });

  it('never echoes a malformed secret URL', () => {
    assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://u:sekrit@ho st/db' }), (e: Error) => !e.message.includes('sekrit'));
  });

  it('reads secrets from *_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hive-config-'));
    writeFileSync(join(dir, 'token'), 'from-a-file-0123456789\n');
    assert.equal(loadConfig({ HIVE_ADMIN_TOKEN_FILE: join(dir, 'token') }).adminToken, 'from-a-file-0123456789');
    assert.throws(() => loadConfig({ HIVE_ADMIN_TOKEN_FILE: join(dir, 'missing') }), /HIVE_ADMIN_TOKEN_FILE to be a readable file/);
  });

  it('keeps logs forever and webhook deliveries for 30 days unless told otherwise', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.logRetentionDays, 0);
    assert.equal(defaults.keepBuilds, 0);
    assert.equal(defaults.webhookDeliveryRetentionDays, 30);
    const set = loadConfig({ HIVE_LOG_RETENTION_DAYS: '14', HIVE_KEEP_BUILDS: '5', HIVE_WEBHOOK_DELIVERY_RETENTION_DAYS: '0' });
    assert.deepEqual([set.logRetentionDays, set.keepBuilds, set.webhookDeliveryRetentionDays], [14, 5, 0]);
    assert.throws(() => loadConfig({ HIVE_LOG_RETENTION_DAYS: '-1' }), /Expected HIVE_LOG_RETENTION_DAYS to be an integer between 0 and 36500, got "-1"/);
    assert.throws(() => loadConfig({ HIVE_LOG_RETENTION_DAYS: '1.5' }), /Expected HIVE_LOG_RETENTION_DAYS to be an integer/);
    assert.throws(() => loadConfig({ HIVE_KEEP_BUILDS: 'all' }), /Expected HIVE_KEEP_BUILDS to be an integer/);
    assert.throws(() => loadConfig({ HIVE_WEBHOOK_DELIVERY_RETENTION_DAYS: '100000' }), /between 0 and 36500, got "100000"/);
  });

  it('trusts X-Forwarded-For only when HIVE_TRUST_PROXY says so; takes a metrics token of its own', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.trustProxy, false);
    assert.equal(defaults.metricsToken, undefined);
    const set = loadConfig({ HIVE_TRUST_PROXY: 'true', HIVE_METRICS_TOKEN: 'prometheus-scrape-token-42' });
    assert.equal(set.trustProxy, true);
    assert.equal(set.metricsToken, 'prometheus-scrape-token-42');
    assert.throws(() => loadConfig({ HIVE_TRUST_PROXY: 'sometimes' }), /HIVE_TRUST_PROXY/);
    assert.throws(() => loadConfig({ HIVE_METRICS_TOKEN: 'short' }), /Expected HIVE_METRICS_TOKEN to be at least 16 characters/);
  });

  it('turns the local drone off by flag or environment', () => {
    assert.equal(loadConfig({}, ['--no-local-drone']).localDrone, false);
    assert.equal(loadConfig({ HIVE_LOCAL_DRONE: 'false' }).localDrone, false);
  });
});
