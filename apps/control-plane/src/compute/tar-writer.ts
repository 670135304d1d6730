/**
 * A deterministic tar writer (POSIX ustar, with a pax header for paths longer than ustar
 * holds): entries carry no times, owners or host details, so the same inputs make the same
 * bytes on every replica — which is what lets a sha256 pinned by one replica match the
 * bundle another serves. Files are streamed from disk, never held whole in memory.
 */
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';

/** One entry: a directory, a regular file (read from `source`) or a symbolic link. */
export type TarEntry =
  | { readonly type: 'dir'; readonly path: string }
  | {
      readonly type: 'file';
      readonly path: string;
      readonly source: string;
      readonly size: number;
      readonly executable: boolean;
    }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(
  name: string,
  prefix: string,
  opts: { size: number; mode: number; type: string; link?: string },
): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(opts.mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(opts.size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(opts.type, 156, 'ascii');
  if (opts.link !== undefined) h.write(opts.link, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** Splits a path into ustar's name (≤ 100 bytes) and prefix (≤ 155), or undefined. */
function split(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '')
      return { name, prefix };
  }
  return undefined;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

/** A pax record `"<len> path=<value>\n"`, whose length counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

async function write(out: Writable, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
}

function headerOf(
  path: string,
  opts: { size: number; mode: number; type: string; link?: string },
): Buffer[] {
  const parts = split(path);
  const long = opts.link !== undefined && Buffer.byteLength(opts.link) > 100;
  if (parts !== undefined && !long) return [header(parts.name, parts.prefix, opts)];
  const records =
    (parts === undefined ? paxRecord('path', path) : '') +
    (long ? paxRecord('linkpath', opts.link ?? '') : '');
  const data = Buffer.from(records, 'utf8');
  return [
    header('PaxHeader', '', { size: data.length, mode: 0o644, type: 'x' }),
    data,
    padding(data.length),
    header(parts?.name ?? path.slice(-100), parts?.prefix ?? '', {
      ...opts,
      ...(long ? { link: '' } : {}),
    }),
  ];
}

/** Writes `entries` in order as a tar stream to `out` (not ended). */
export async function writeTar(
  out: Writable,
  entries: Iterable<TarEntry> | AsyncIterable<TarEntry>,
): Promise<void> {
  for await (const e of entries) {
    if (e.type === 'dir') {
      for (const b of headerOf(`${e.path}/`, { size: 0, mode: 0o755, type: '5' }))
        await write(out, b);
    } else if (e.type === 'symlink') {
      for (const b of headerOf(e.path, { size: 0, mode: 0o777, type: '2', link: e.target }))
        await write(out, b);
    } else {
      for (const b of headerOf(e.path, {
        size: e.size,
        mode: e.executable ? 0o755 : 0o644,
        type: '0',
      }))
        await write(out, b);
      let written = 0;
      for await (const chunk of createReadStream(e.source)) {
        const buf = chunk as Buffer;
        written += buf.length;
        if (written > e.size) throw new Error(`${e.source} grew while being archived`);
        await write(out, buf);
      }
      if (written !== e.size) throw new Error(`${e.source} changed size while being archived`);
      await write(out, padding(e.size));
    }
  }
  await write(out, Buffer.alloc(BLOCK * 2));
}
