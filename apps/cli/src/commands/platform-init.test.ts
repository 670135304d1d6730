/**
 * `ferry platform init` fails in one line naming the setting to fix: no AWS credentials,
 * credentials AWS refuses (a real localcloud), an AWS endpoint that does not answer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCloud } from '@ferry/localcloud';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBufferIo } from '../cli-io.ts';
import { EXIT } from '../exit-codes.ts';
import { runCli } from '../run-cli.ts';

describe('ferry platform init on bad AWS settings', { timeout: 120_000 }, () => {
  let cloud: LocalCloud;
  let dir: string;
  beforeAll(async () => {
    const { start } = await import('@ferry/localcloud');
    cloud = await start({ host: '127.0.0.1', port: 0, logLevel: 'silent' });
    dir = await mkdtemp(join(tmpdir(), 'ferry-platform-init-'));
  }, 120_000);
  afterAll(async () => {
    await cloud?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function init(name: string, env: Record<string, string>) {
    const io = createBufferIo();
    const code = await runCli(['platform', 'init', '--data-dir', join(dir, name)], io, {
      FERRY_LOG_LEVEL: 'silent',
      FERRY_AWS_REGION: 'us-east-1',
      ...env,
    });
    expect(io.out()).toBe('');
    expect(io.err().trimEnd().split('\n')).toHaveLength(1);
    return { code, err: io.err() };
  }

  it.skipIf(process.env.AWS_ACCESS_KEY_ID !== undefined || process.env.AWS_PROFILE !== undefined)(
    'names the credentials settings when there are none',
    async () => {
      const r = await init('none', { FERRY_AWS_ENDPOINT_URL: cloud.url });
      expect(r.code).toBe(EXIT.usage);
      expect(r.err).toMatch(
        /^ferry: the platform has no AWS credentials: set FERRY_AWS_ACCESS_KEY_ID and FERRY_AWS_SECRET_ACCESS_KEY/,
      );
    },
  );

  it('says AWS refused credentials it does not know', async () => {
    const r = await init('wrong', {
      FERRY_AWS_ENDPOINT_URL: cloud.url,
      FERRY_AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      FERRY_AWS_SECRET_ACCESS_KEY: 'not-the-secret-of-any-key-0000000000000',
    });
    expect(r.code).toBe(EXIT.auth);
    expect(r.err).toMatch(
      /^ferry: AWS refused the platform’s credentials \(\w+: .*check FERRY_AWS_ACCESS_KEY_ID/,
    );
    expect(r.err).not.toContain('not-the-secret');
  });

  it('names the endpoint setting when nothing answers there', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const r = await init('unreachable', {
      FERRY_AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
      FERRY_AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      FERRY_AWS_SECRET_ACCESS_KEY: 'not-the-secret-of-any-key-0000000000000',
    });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.err).toMatch(
      /^ferry: cannot reach AWS at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): check FERRY_AWS_ENDPOINT_URL/,
    );
  });
});
