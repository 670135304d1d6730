import { describe, expect, it } from 'vitest';
import {
  BOOTSTRAP_TOKEN_HEADER,
  PREINSTALLED_WORKER_DIR,
  WORKER_ENV,
  shellQuote,
  workerBundleFile,
  workerUserData,
  type WorkerBootstrap,
} from './worker-bootstrap.ts';

const SHA = 'a'.repeat(64);
const GSHA = 'b'.repeat(64);
const base: WorkerBootstrap = {
  controlPlaneUrl: 'https://ferry.example.com/',
  clusterId: 'cl_01jd8x9y7z6w5v4t3s2r1q0p9n',
  bootstrapToken: 'ferry_boot_abc',
  workerCommand: 'ferry-worker',
  heartbeatSeconds: 15,
  idleTimeoutMins: 60,
  bundle: {
    version: '0.1.0-0123456789ab',
    architectures: {
      x86_64: { sha256: { zstd: SHA, gzip: GSHA } },
      arm64: { missing: "no arm64 'runtime'" },
    },
  },
};

describe('the worker boot script', () => {
  it('is a POSIX sh script exporting the bootstrap, quoted, with the control plane URL trimmed', () => {
    const script = workerUserData(base);
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain(`export ${WORKER_ENV.controlPlaneUrl}='https://ferry.example.com'\n`);
    expect(script).toContain(`export ${WORKER_ENV.clusterId}='${base.clusterId}'\n`);
    expect(script).toContain(`export ${WORKER_ENV.bootstrapToken}='ferry_boot_abc'\n`);
    expect(script).toContain(`export ${WORKER_ENV.heartbeatSeconds}='15'\n`);
    expect(script).toContain(`export ${WORKER_ENV.idleTimeoutMins}='60'\n`);
  });

  it('pins each architecture by sha256 and names what is missing for one without a bundle', () => {
    const script = workerUserData(base);
    expect(script).toContain(
      `    arch=x86_64\n    zsha=${SHA}; zfile='${workerBundleFile(base.bundle.version, 'x86_64', 'zstd')}'\n    gsha=${GSHA}; gfile='${workerBundleFile(base.bundle.version, 'x86_64', 'gzip')}' ;;`,
    );
    expect(script).toContain(
      `fail ${shellQuote("no worker bundle for arm64 in this boot script: no arm64 'runtime'")}`,
    );
    // The machine's own architecture decides, by uname: EC2's and the kernel's names.
    expect(script).toMatch(/case "\$machine" in\n {2}x86_64\|amd64\)/);
    expect(script).toContain('  aarch64|arm64)');
  });

  it('checks the download against the pin before unpacking, and refuses a mismatch', () => {
    const script = workerUserData(base);
    const check = script.indexOf('if [ "$got" != "$sha" ]');
    expect(check).toBeGreaterThan(script.indexOf('sha256sum "$tmp"'));
    expect(check).toBeLessThan(script.indexOf('| tar -xf -'));
    // zstd when the machine has it, else gzip; a decompressor's failure fails the unpack.
    expect(script).toContain('if command -v zstd >/dev/null 2>&1; then');
    expect(script).toContain('file=$zfile; sha=$zsha; unpack="zstd -dcq"');
    expect(script).toContain('file=$gfile; sha=$gsha; unpack="gzip -dc"');
    expect(script).toContain('|| [ -e "$tmp.bad" ]; then');
    expect(script).toContain('fail "refusing to start the worker: $file has sha256 $got');
    // The token goes in a header file, not on a command line other users could read.
    expect(script).toContain(`"${BOOTSTRAP_TOKEN_HEADER}: $FERRY_BOOTSTRAP_TOKEN" > "$tmp.header"`);
    expect(script).toContain('curl -fsS -H "@$tmp.header"');
  });

  it('uses a preinstalled worker of exactly this version and architecture', () => {
    const script = workerUserData(base);
    expect(script).toContain(
      `if [ "$(cat ${PREINSTALLED_WORKER_DIR}/BUNDLE 2>/dev/null)" = "$version $arch" ]; then`,
    );
  });

  it('starts a service under systemd (powering off when done), else the worker in the foreground', () => {
    const script = workerUserData(base);
    expect(script).toContain('mode=service; home=/var/lib/ferry; shutdown=poweroff');
    expect(script).toContain('mode=foreground; home="${HOME:-$PWD}/.ferry"; shutdown=exit');
    expect(script).toContain(`export ${WORKER_ENV.shutdown}=$shutdown`);
    expect(script).toContain('ExecStart=$home/start-worker');
    expect(script).toContain('exec ferry-worker\nFERRY_START');
    expect(script.trimEnd().endsWith('exec "$home/start-worker"')).toBe(true);
  });

  it('refuses values that would break out of a line, a bad pin and an empty command', () => {
    expect(() => workerUserData({ ...base, workerCommand: 'ferry-worker\nFERRY_START' })).toThrow(
      /workerCommand must be a single line/,
    );
    expect(() => workerUserData({ ...base, workerCommand: '  ' })).toThrow(/must not be empty/);
    expect(() => workerUserData({ ...base, clusterId: 'cl_1\nrm -rf /' })).toThrow(
      /FERRY_CLUSTER_ID must be a single line/,
    );
    expect(() =>
      workerUserData({
        ...base,
        bundle: {
          ...base.bundle,
          architectures: {
            ...base.bundle.architectures,
            x86_64: { sha256: { zstd: SHA, gzip: 'abc' } },
          },
        },
      }),
    ).toThrow(/sha256 \(gzip\) for x86_64/);
    expect(() =>
      workerUserData({ ...base, bundle: { ...base.bundle, version: '1.0; rm -rf /' } }),
    ).toThrow(/version is malformed/);
  });
});
