/**
 * How `ferry` fails on bad command lines: one line naming the flag and one saying where help
 * is (never the whole help), the usage exit code, no call made; `--version`; and a reader
 * that closes the pipe early (`| head -1`) is not a crash.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createBufferIo } from './cli-io.ts';
import { EXIT } from './exit-codes.ts';
import { VERSION } from './program.ts';
import { runCli } from './run-cli.ts';

const bin = fileURLToPath(new URL('./bin.ts', import.meta.url));

async function run(...argv: string[]) {
  const io = createBufferIo();
  const code = await runCli(argv, io, { FERRY_CONFIG_DIR: '/nonexistent/ferry' });
  return { code, out: io.out(), err: io.err() };
}

describe('ferry on a bad command line', () => {
  it('prints its version', async () => {
    expect(await run('--version')).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [
      ['compute', 'list', '--limit', '0'],
      /^ferry: option '--limit <n>' argument '0' is invalid\. expected a whole number of at least 1$/,
    ],
    [['compute', 'list', '--limit', 'many'], /'--limit <n>' argument 'many' is invalid/],
    [['compute', 'list', '--bogus'], /^ferry: unknown option '--bogus'$/],
    [['compute', 'status'], /^ferry: missing required argument 'clusterId'$/],
    [['nonsense'], /^ferry: unknown command 'nonsense'$/],
  ])('%j: one line naming what is wrong, one pointing to --help, exit 2', async (argv, line) => {
    const r = await run(...argv);
    expect(r.code).toBe(EXIT.usage);
    expect(r.out).toBe('');
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(line);
    expect(lines[1]).toMatch(/^\(see `ferry [a-z ]*--help`\)$/);
    expect(r.err).not.toContain('Usage:');
  });

  it('stops quietly when the reader closes the pipe early', { timeout: 60_000 }, async () => {
    for (const argv of [
      ['template', '--help'],
      ['template', '--format', 'yaml'],
    ]) {
      const child = spawn(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // `| head -c 1`: read one chunk, then close the pipe.
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(stderr).toBe('');
      expect(code).toBe(0);
    }
  });
});
