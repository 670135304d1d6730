import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin.ts', import.meta.url));

function ferry(args: string[]) {
  // Settings come only from the flags under test.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('FERRY_') && k !== 'DATABASE_URL'),
  );
  return spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('ferry server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-cli-server-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('fails fast naming the bad setting', async () => {
    const child = ferry(['server', '--listen', '127.0.0.1:abc', '--data-dir', dataDir]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(2);
    expect(stderr).toContain("--listen: expected an integer 0-65535, got 'abc'");
  });

  it('runs on the embedded database, prints the setup link, and stops on SIGTERM', async () => {
    const child = ferry([
      'server',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
      '--log-level',
      'warn',
      '--bootstrap-admin',
      'admin@example.com',
    ]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const out: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        out.push(line);
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m?.[1]) resolve(m[1]);
      });
    });
    try {
      expect(out.join('\n')).toMatch(
        /admin@example\.com.*\n\s+http:\/\/127\.0\.0\.1:\d+\/setup#token=\S+/,
      );
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      // The generated secrets key is readable by its owner only.
      expect(statSync(join(dataDir, 'secrets.key')).mode & 0o777).toBe(0o600);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) =>
      child.exitCode !== null ? r(child.exitCode) : child.once('exit', r),
    );
    expect(code).toBe(0);
  }, 180_000);
});
