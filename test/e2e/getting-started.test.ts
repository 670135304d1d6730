/**
 * docs/getting-started.md is run as written: its `sh` blocks, in order, in one bash with
 * `set -euo pipefail`, from the repository root — localcloud and the control plane started
 * by the guide's own commands, the admin signed in with the setup token, a workspace
 * connected and a cluster Idle, then stopped. Only `npm ci` is skipped (the suite runs
 * installed). Ports are free ones; the guide's temporary directory is made inside one the
 * test owns, so whatever happens, the test kills what the guide started and removes it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The guide's shell blocks, in order. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

let owned = '';

/** Kills what the guide started (its pid files) and removes its directory. */
async function cleanUp(): Promise<void> {
  if (owned === '') return;
  for (const dir of await readdir(owned).catch(() => [])) {
    for (const f of await readdir(join(owned, dir)).catch(() => [])) {
      if (!f.endsWith('.pid')) continue;
      const pid = Number(await readFile(join(owned, dir, f), 'utf8'));
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  await new Promise((r) => setTimeout(r, 2000));
  await rm(owned, { recursive: true, force: true });
}

afterAll(cleanUp, 30_000);

describe('docs/getting-started.md', () => {
  it('has its steps in sh blocks, install first', async () => {
    const blocks = shellBlocks(await readFile(join(REPO, 'docs/getting-started.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThan(5);
    expect(blocks[0]?.startsWith('npm ci')).toBe(true);
  });

  it('takes an empty machine to an Active workspace and an Idle cluster', async () => {
    const blocks = shellBlocks(await readFile(join(REPO, 'docs/getting-started.md'), 'utf8'));
    owned = await mkdtemp(join(tmpdir(), 'ferry-getting-started-'));
    const script = ['set -euo pipefail', ...blocks.filter((b) => !b.startsWith('npm ci'))].join(
      '\n',
    );
    // The guide sets its own FERRY_* settings; none of the caller's may leak in.
    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FERRY_'))),
      TMPDIR: owned,
      LOCALCLOUD_PORT: String(await freePort()),
      FERRY_PORT: String(await freePort()),
    };
    const child = spawn('bash', ['-c', script], { cwd: REPO, env, stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, output.slice(-4000)).toBe(0);
    expect(output).toMatch(/workspace: Active active/);
    expect(output).toMatch(/^cluster cl_\w+ {2}Idle/m);
  }, 600_000);
});
