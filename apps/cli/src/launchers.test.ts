/**
 * The `ferry` and `localcloud` launchers run on any Node the README allows (from 20 on):
 * an older Node re-runs the command with the pinned Node 24, or says in one line what is
 * needed. These tests use the first Node older than 24 on PATH (the system's).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);
const LAUNCHERS = {
  ferry: `${root}apps/cli/bin/ferry.js`,
  localcloud: `${root}apps/localcloud/bin/localcloud.js`,
};

/** A Node older than 24 on PATH, outside the project's node_modules. */
function oldNode(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '' || dir.includes('node_modules')) continue;
    const exe = join(dir, 'node');
    try {
      accessSync(exe, constants.X_OK);
      const v = execFileSync(exe, ['-p', 'process.versions.node'], { encoding: 'utf8' });
      if (Number(v.split('.')[0]) < 24) return exe;
    } catch {
      // not there, or not runnable
    }
  }
  return undefined;
}

const node20 = oldNode();
const temp = mkdtempSync(join(tmpdir(), 'ferry-launcher-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('the launchers', { timeout: 120_000 }, () => {
  it.each(Object.entries(LAUNCHERS))(
    '%s is linked in node_modules/.bin and executable',
    (name, file) => {
      expect(readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
      accessSync(file, constants.X_OK);
      const pkg = JSON.parse(readFileSync(join(file, '..', '..', 'package.json'), 'utf8')) as {
        bin: Record<string, string>;
      };
      expect(pkg.bin[name]).toBe(`./bin/${name}.js`);
      accessSync(`${root}node_modules/.bin/${name}`, constants.X_OK);
    },
  );

  describe.skipIf(node20 === undefined)('on a Node older than 24', () => {
    it('ferry runs with the pinned Node', async () => {
      const { stdout } = await run(
        node20!,
        [`${root}node_modules/.bin/ferry`, 'template', '--help'],
        {
          cwd: temp,
        },
      );
      expect(stdout).toContain('Usage: ferry template');
      const version = await run(node20!, [LAUNCHERS.ferry, '--version'], { cwd: temp });
      expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    });

    it('an exit code of the command is the exit code of the launcher', async () => {
      const failed = await run(node20!, [LAUNCHERS.ferry, 'template', '--external-id', 'a b'], {
        cwd: temp,
      }).then(
        () => undefined,
        (e: unknown) => e as { code: number; stderr: string },
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stderr).toContain('--external-id');
    });

    it('localcloud runs, and a SIGTERM to the launcher stops the server', async () => {
      const child = spawn(node20!, [`${root}node_modules/.bin/localcloud`, '--port', '0'], {
        cwd: temp,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /listening on (\S+)/.exec(out);
            if (m) resolve(m[1]!);
          });
          child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
        });
        expect((await fetch(url)).status).toBeGreaterThan(0);
        const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        await expect(fetch(url)).rejects.toThrow();
      } finally {
        child.kill('SIGKILL');
      }
    });

    it.each(Object.entries(LAUNCHERS))(
      '%s without the pinned Node says in one line which Node is needed',
      async (name, file) => {
        const copy = join(temp, `${name}.js`);
        copyFileSync(file, copy);
        const failed = await run(node20!, [copy, '--help'], { cwd: temp }).then(
          () => undefined,
          (e: unknown) => e as { code: number; stderr: string; stdout: string },
        );
        expect(failed?.code).toBe(1);
        expect(failed?.stdout).toBe('');
        const lines = failed?.stderr.trim().split('\n') ?? [];
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
          new RegExp(`^${name}: needs Node\\.js 24 or newer \\(this is v\\d+`),
        );
        expect(lines[0]).toContain('npm ci');
      },
    );
  });
});
