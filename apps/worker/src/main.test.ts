import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('ferry-worker command', () => {
  it('exits 2 naming what is wrong when the configuration is bad, echoing no token', () => {
    const res = spawnSync(process.execPath, [MAIN, '--shutdown=halt'], {
      env: {
        PATH: process.env.PATH ?? '',
        FERRY_CONTROL_PLANE_URL: 'http://127.0.0.1:9',
        FERRY_CLUSTER_ID: 'cl_01jd8x9y7z6w5v4t3s2r1q0p9n',
        FERRY_BOOTSTRAP_TOKEN: 'ferry_boot_short',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toBe(
      'ferry-worker: Bad worker configuration: env.FERRY_BOOTSTRAP_TOKEN must be a bootstrap token (ferry_boot_…); flags.shutdown must be exit or poweroff, got "halt"\n',
    );
    expect(res.stdout).toBe('');
  });

  it('exits 1 when the instance metadata service cannot be reached', () => {
    const res = spawnSync(process.execPath, [MAIN, '--shutdown=exit'], {
      env: {
        PATH: process.env.PATH ?? '',
        FERRY_CONTROL_PLANE_URL: 'http://127.0.0.1:9',
        FERRY_CLUSTER_ID: 'cl_01jd8x9y7z6w5v4t3s2r1q0p9n',
        FERRY_BOOTSTRAP_TOKEN: 'ferry_boot_abcdefghijklmnopqrstuvwxyz012345',
        AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9/',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(
      /ferry-worker: shutting down \(exit\): cannot tell which instance this is: ImdsError: instance metadata \/latest\/api\/token unavailable at http:\/\/127\.0\.0\.1:9/,
    );
    expect(res.stdout).not.toContain('abcdefghijklmnop');
  });
});
