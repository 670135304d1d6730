/**
 * What the logger lets through: every ferry token family is scrubbed by prefix (including
 * one it has never heard of), logged URLs lose their query values, and every token family
 * minted anywhere in the code is one the scrubber knows.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SECRET_PREFIXES } from '../identity/secret-token.ts';
import { createLogCapture } from '../testing/log-capture.ts';
import { addLogSecret, createLogger, redactUrl, scrubSecrets } from './logger.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const token = (prefix: string): string => prefix + randomBytes(32).toString('base64url');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...(await sourceFiles(path)));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('the logger', () => {
  it('scrubs every token family by prefix, in any position of a line', () => {
    const families = [...Object.values(SECRET_PREFIXES), 'ferry_future_'];
    for (const prefix of families) {
      const t = token(prefix);
      for (const line of [
        t,
        `{"msg":"got ${t}"}`,
        `url=/x?token=${t}&a=1`,
        `"${t}"`,
        `path /api/v1/tokens/${t}/x`,
      ]) {
        const out = scrubSecrets(line, []);
        expect(out, line).not.toContain(t.slice(prefix.length));
        expect(out).toContain(`${prefix}[Redacted]`);
      }
    }
    // Metric names look like a family but are not tokens.
    expect(scrubSecrets('ferry_http_request_duration_seconds_bucket', [])).toBe(
      'ferry_http_request_duration_seconds_bucket',
    );
  });

  it('redacts query values of logged URLs and keeps their names', () => {
    expect(redactUrl('/api/v1/aws-setup-link?token=abc&x=1&flag')).toBe(
      '/api/v1/aws-setup-link?token=[Redacted]&x=[Redacted]&flag',
    );
    expect(redactUrl('/api/v1/orgs')).toBe('/api/v1/orgs');
  });

  it('logs requests without their query values', async () => {
    const capture = createLogCapture();
    const log = createLogger({ level: 'info', destination: capture });
    const Fastify = (await import('fastify')).default;
    const app = Fastify({ loggerInstance: log as never });
    app.get('/link', () => ({ ok: true }));
    try {
      await app.inject({ method: 'GET', url: '/link?token=plain-secret-value&n=2' });
    } finally {
      await app.close();
    }
    const text = capture.text();
    expect(text).toContain('/link?token=[Redacted]&n=[Redacted]');
    expect(text).not.toContain('plain-secret-value');
  });

  it('scrubs a secret learned at run time from the logger and its children', () => {
    const capture = createLogCapture();
    const log = createLogger({ level: 'info', destination: capture });
    const child = log.child({ area: 'connections' });
    const secret = randomBytes(30).toString('base64').slice(0, 40);
    child.info(`before ${secret}`);
    addLogSecret(log, secret);
    child.info({ value: secret }, `after ${secret}`);
    log.info(`root ${secret}`);
    const lines = capture.text().trim().split('\n');
    expect(lines[0]).toContain(secret);
    expect(lines.slice(1).join('\n')).not.toContain(secret);
    expect(lines.slice(1).join('\n')).toContain('after [Redacted]');
  });

  it('knows every token family the code mints', async () => {
    const files = [
      ...(await sourceFiles(join(REPO, 'apps'))),
      ...(await sourceFiles(join(REPO, 'packages'))),
    ];
    const known = new Set<string>(Object.values(SECRET_PREFIXES));
    // Names that are not tokens: metric names, a SQL function, test fixtures' labels.
    const notTokens = new Set(['ferry_aws_', 'ferry_audit_', 'ferry_http_', 'ferry_test_']);
    const found = new Set<string>();
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const [, prefix] of text.matchAll(/\b(ferry_[a-z]+_)(?=\$\{|['"`]|[A-Za-z0-9[])/g))
        found.add(prefix!);
    }
    expect(found.size).toBeGreaterThan(5);
    const unknown = [...found].filter((p) => !known.has(p) && !notTokens.has(p));
    expect(unknown, 'token families the logger does not scrub by name').toEqual([]);
  });
});
