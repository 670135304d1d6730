import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.ts';

const KEY = Buffer.alloc(32, 7).toString('base64');

function fileWith(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-config-'));
  const path = join(dir, 'ferry.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function issuesOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses defaults when nothing is set', () => {
    const c = loadConfig({ env: {}, cwd: '/srv/ferry' });
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(c.publicUrl).toBe('http://127.0.0.1:8080');
    expect(c.database).toEqual({ url: undefined, dataDir: '/srv/ferry/.ferry/data', poolSize: 10 });
    expect(c.log.level).toBe('info');
    expect(c.aws.region).toBe('us-east-1');
    expect(c.jobs).toMatchObject({ enabled: true, concurrency: 4 });
  });

  it('layers flags over env over file over defaults', () => {
    const config = fileWith({
      listen: { host: '0.0.0.0', port: 7000 },
      log: { level: 'debug' },
      aws: { region: 'eu-west-1' },
      jobs: { concurrency: 9 },
    });
    const c = loadConfig({
      env: { FERRY_LISTEN_PORT: '7100', FERRY_LOG_LEVEL: 'warn', FERRY_JOBS_ENABLED: 'false' },
      flags: { config, listenPort: '7200' },
    });
    expect(c.listen).toEqual({ host: '0.0.0.0', port: 7200 }); // host: file; port: flag
    expect(c.log.level).toBe('warn'); // env beats file
    expect(c.aws.region).toBe('eu-west-1'); // file beats default
    expect(c.jobs.concurrency).toBe(9);
    expect(c.jobs.enabled).toBe(false);
  });

  it('reads --listen as host:port, :port or [ipv6]:port', () => {
    expect(loadConfig({ env: {}, flags: { listen: '0.0.0.0:9000' } }).listen).toEqual({
      host: '0.0.0.0',
      port: 9000,
    });
    expect(loadConfig({ env: {}, flags: { listen: ':9001' } }).listen.port).toBe(9001);
    const v6 = loadConfig({ env: {}, flags: { listen: '[::1]:9002' } });
    expect(v6.listen).toEqual({ host: '::1', port: 9002 });
    expect(v6.publicUrl).toBe('http://[::1]:9002');
  });

  it('reads a bare number given to --listen as the port, on the default host', () => {
    expect(loadConfig({ env: {}, flags: { listen: '8081' } }).listen).toEqual({
      host: '127.0.0.1',
      port: 8081,
    });
    expect(loadConfig({ env: {}, flags: { listen: 'localhost' } }).listen.host).toBe('localhost');
    expect(issuesOf(() => loadConfig({ env: {}, flags: { listen: '99999' } }))).toEqual([
      "--listen: expected an integer 0-65535, got '99999'",
    ]);
  });

  it('names the setting and the bad value in every error', () => {
    expect(issuesOf(() => loadConfig({ env: { FERRY_LISTEN_PORT: 'abc' } }))).toEqual([
      "FERRY_LISTEN_PORT: expected an integer 0-65535, got 'abc'",
    ]);
    expect(issuesOf(() => loadConfig({ env: {}, flags: { listenPort: '70000' } }))).toEqual([
      "--listen-port: expected an integer 0-65535, got '70000'",
    ]);
    const file = fileWith({ listen: { port: 'x' }, logLevel: 'debug' });
    expect(issuesOf(() => loadConfig({ env: {}, flags: { config: file } }))).toEqual([
      `${file} logLevel: unknown setting`,
      `${file} listen.port: expected an integer 0-65535, got 'x'`,
    ]);
    expect(
      issuesOf(() =>
        loadConfig({
          env: {
            FERRY_LOG_LEVEL: 'loud',
            FERRY_PUBLIC_URL: 'ftp://x',
            FERRY_JOBS_ENABLED: 'maybe',
            FERRY_AWS_ROLE_ARN: 'role',
          },
        }),
      ),
    ).toEqual([
      "FERRY_PUBLIC_URL: expected an http(s) URL, got 'ftp://x'",
      "FERRY_AWS_ROLE_ARN: expected an ARN, got 'role'",
      "FERRY_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got 'loud'",
      "FERRY_JOBS_ENABLED: expected true or false, got 'maybe'",
    ]);
  });

  it('never echoes a secret value in an error', () => {
    const issues = issuesOf(() =>
      loadConfig({ env: { FERRY_SECRETS_KEY: 'not-a-real-key-but-secret' } }),
    );
    expect(issues).toEqual(['FERRY_SECRETS_KEY: expected 32 bytes in base64']);
  });

  it('requires the secrets key with PostgreSQL, and both halves of AWS keys', () => {
    expect(issuesOf(() => loadConfig({ env: { DATABASE_URL: 'postgres://db/ferry' } }))).toEqual([
      'FERRY_SECRETS_KEY: required with DATABASE_URL (32 random bytes in base64, the same on every replica)',
    ]);
    const c = loadConfig({ env: { DATABASE_URL: 'postgres://db/ferry', FERRY_SECRETS_KEY: KEY } });
    expect(c.database.url).toBe('postgres://db/ferry');
    expect(
      issuesOf(() => loadConfig({ env: { FERRY_AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE' } })),
    ).toEqual(['FERRY_AWS_SECRET_ACCESS_KEY: required when FERRY_AWS_ACCESS_KEY_ID is set']);
  });

  it('reports an unreadable or malformed config file by path', () => {
    expect(
      issuesOf(() => loadConfig({ env: {}, flags: { config: '/nonexistent/ferry.json' } })),
    ).toEqual(['--config: cannot read /nonexistent/ferry.json: ENOENT']);
    const bad = fileWith('{ not json');
    expect(issuesOf(() => loadConfig({ env: {}, flags: { config: bad } }))[0]).toMatch(
      new RegExp(`^--config: ${bad} is not valid JSON`),
    );
  });

  it('reads the config file named by FERRY_CONFIG', () => {
    const file = fileWith({ publicUrl: 'https://ferry.example.com/' });
    const c = loadConfig({ env: { FERRY_CONFIG: file } });
    expect(c.publicUrl).toBe('https://ferry.example.com');
  });

  it('reads the job intervals that moved from compute to jobs under their former names too', () => {
    expect(loadConfig({ env: {} }).jobs).toMatchObject({
      reconcileEveryMs: 30_000,
      reapEveryMs: 60_000,
    });
    const file = fileWith({ compute: { reconcileEveryMs: 5000, reapEveryMs: 0 } });
    expect(loadConfig({ env: { FERRY_CONFIG: file } }).jobs).toMatchObject({
      reconcileEveryMs: 5000,
      reapEveryMs: 0,
    });
    const env = { FERRY_COMPUTE_RECONCILE_EVERY_MS: '7000', FERRY_JOBS_REAP_EVERY_MS: '8000' };
    expect(loadConfig({ env }).jobs).toMatchObject({ reconcileEveryMs: 7000, reapEveryMs: 8000 });
    // The new name wins over the former one in the same layer.
    const both = fileWith({ compute: { reapEveryMs: 1 }, jobs: { reapEveryMs: 2 } });
    expect(loadConfig({ env: { FERRY_CONFIG: both } }).jobs.reapEveryMs).toBe(2);
    expect(issuesOf(() => loadConfig({ env: { FERRY_COMPUTE_REAP_EVERY_MS: 'soon' } }))).toEqual([
      expect.stringMatching(/^FERRY_COMPUTE_REAP_EVERY_MS: /),
    ]);
  });
});
