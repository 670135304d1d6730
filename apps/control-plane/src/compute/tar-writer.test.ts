import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTar, type TarEntry } from './tar-writer.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-tar-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tarOf(entries: TarEntry[], name: string): Promise<string> {
  const out = join(dir, name);
  const stream = new PassThrough();
  const done = pipeline(stream, createWriteStream(out));
  await writeTar(stream, entries);
  stream.end();
  await done;
  return out;
}

describe('tar writer', () => {
  it('writes what tar(1) unpacks: short and long paths, modes, a symlink with a long target', async () => {
    const src = join(dir, 'src.txt');
    await writeFile(src, 'hello\n');
    const deep = `a/${'b'.repeat(120)}/${'c'.repeat(120)}/${'d'.repeat(110)}.txt`;
    const longTarget = `../${'t'.repeat(120)}`;
    const entries: TarEntry[] = [
      { type: 'dir', path: 'a' },
      { type: 'file', path: 'a/run', source: src, size: 6, executable: true },
      { type: 'file', path: deep, source: src, size: 6, executable: false },
      { type: 'symlink', path: 'a/link', target: longTarget },
    ];
    const file = await tarOf(entries, 'one.tar');
    const out = join(dir, 'out');
    await mkdir(out);
    execFileSync('tar', ['-xf', file, '-C', out]);
    expect(await readFile(join(out, deep), 'utf8')).toBe('hello\n');
    expect(await readlink(join(out, 'a/link'))).toBe(longTarget);
    const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' });
    expect(listing).toMatch(/^-rwxr-xr-x 0\/0 +6 1970-01-01 00:00 a\/run$/m);
    // The same entries give the same bytes: what replicas pin and serve must agree.
    expect(await readFile(await tarOf(entries, 'two.tar'))).toEqual(await readFile(file));
  });

  it('fails when a file does not have the size it was listed with', async () => {
    const src = join(dir, 'short.txt');
    await writeFile(src, 'abc');
    await expect(
      tarOf([{ type: 'file', path: 'x', source: src, size: 10, executable: false }], 'bad.tar'),
    ).rejects.toThrow(/changed size/);
  });
});
