/**
 * What every command promises: `--help` (exit 0, nothing on stderr), `--json` on every
 * command that answers with data, and no prompt when stdin is not a terminal — shown with
 * real processes whose stdin is an open pipe that never sends anything: a prompt would hang.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createBufferIo } from './cli-io.ts';
import { EXIT } from './exit-codes.ts';
import { allCommands, buildProgram } from './program.ts';
import { runCli } from './run-cli.ts';

const bin = fileURLToPath(new URL('./bin.ts', import.meta.url));

/** Leaf commands without --json, and why. */
const NO_JSON: Record<string, string> = {
  demo: 'a guided run, not an answer',
  server: 'runs until stopped',
  template: '--format json prints the template as JSON',
  'platform init': 'an operator step on the server host',
  'org use': 'only saves a setting',
  'workspace use': 'only saves a setting',
};

function path(c: Command): string {
  const words: string[] = [];
  for (let x: Command | null = c; x !== null && x.parent !== null; x = x.parent)
    words.unshift(x.name());
  return words.join(' ');
}

const program = buildProgram({ io: createBufferIo(), exitCode: 0, env: {} });
const commands = allCommands(program).filter((c) => c.name() !== 'help');
const leaves = commands.filter((c) => c.commands.length === 0);

describe('every ferry command', () => {
  it.each(commands.map((c) => [path(c) || '(ferry)', c] as const))(
    '%s has --help',
    async (p, c) => {
      const io = createBufferIo();
      const code = await runCli([...(p === '(ferry)' ? [] : path(c).split(' ')), '--help'], io, {});
      expect(code).toBe(0);
      expect(io.err()).toBe('');
      expect(io.out()).toMatch(new RegExp(`^Usage: ferry ${path(c)}`.replace(/ $/, '')));
    },
  );

  it.each(leaves.map((c) => [path(c), c] as const))(
    '%s has --json unless it says why not',
    (p, c) => {
      const hasJson = c.options.some((o) => o.long === '--json');
      expect(hasJson || NO_JSON[p] !== undefined, `${p}: no --json`).toBe(true);
    },
  );
});

describe('ferry without a terminal', { timeout: 120_000 }, () => {
  /** Runs bin.ts with stdin an open pipe that never sends a byte. */
  async function noTerminal(argv: string[]) {
    const child = spawn(process.execPath, [bin, ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: '/nonexistent',
        FERRY_CONFIG_DIR: '/nonexistent/ferry',
      },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    clearTimeout(timer);
    child.stdin.destroy();
    return { code, out, err };
  }

  it.each([
    [['login', '--url', 'http://127.0.0.1:9'], '--email'],
    [['login', '--url', 'http://127.0.0.1:9', '--email', 'a@example.com'], '--password-stdin'],
    [
      [
        'token',
        'create',
        'ci',
        '--scope',
        'compute:read',
        '--url',
        'http://127.0.0.1:9',
        '--email',
        'a@example.com',
      ],
      '--password-stdin',
    ],
    [
      [
        'workspace',
        'delete',
        '--url',
        'http://127.0.0.1:9',
        '--token',
        'ferry_pat_x',
        '--workspace',
        'ws_x',
      ],
      '--yes',
    ],
  ])('%j never asks: it names %s and exits 2', async (argv, flag) => {
    const r = await noTerminal(argv);
    expect(r.code).toBe(EXIT.usage);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      `ferry: missing ${flag} (stdin is not a terminal, so ferry does not ask for it)\n`,
    );
  });
});
