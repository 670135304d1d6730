import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createBufferIo } from '../cli-io.ts';
import { runCli } from '../run-cli.ts';

describe('ferry compute without a control plane', () => {
  async function run(argv: string[], env: Record<string, string | undefined> = {}) {
    const io = createBufferIo();
    // No profile: the config directory is one that does not exist.
    const code = await runCli(argv, io, { FERRY_CONFIG_DIR: '/nonexistent/ferry', ...env });
    return { code, out: io.out(), err: io.err() };
  }

  it('names every missing connection setting at once, and exits 2', async () => {
    const r = await run(['compute', 'list']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'ferry: missing --url (or FERRY_URL), --token (or FERRY_TOKEN), --workspace (or FERRY_WORKSPACE); `ferry login` saves the URL and a token; `ferry workspace use <id>` saves a workspace\n',
    );
    const t = await run(['compute', 'list', '--url', 'http://127.0.0.1:9']);
    expect(t.err).toMatch(/^ferry: missing --token \(or FERRY_TOKEN\), --workspace/);
    const w = await run(['compute', 'list'], {
      FERRY_URL: 'http://127.0.0.1:9',
      FERRY_TOKEN: 'ferry_pat_secret',
    });
    expect(w.err).toBe(
      'ferry: missing --workspace (or FERRY_WORKSPACE); `ferry workspace use <id>` saves a workspace\n',
    );
  });

  it('says when the control plane cannot be reached, without printing the token', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const r = await run(['compute', 'status', 'clu_x'], {
      FERRY_URL: `http://127.0.0.1:${port}`,
      FERRY_TOKEN: 'ferry_pat_do_not_print_me',
      FERRY_WORKSPACE: 'ws_x',
    });
    expect(r.code).toBe(6);
    expect(r.err).toBe(
      `ferry: cannot reach the control plane at http://127.0.0.1:${port} (ECONNREFUSED): check --url, and that the server is running\n`,
    );
    expect(r.out + r.err).not.toContain('do_not_print_me');
  });

  it('rejects a malformed flag before calling anything', async () => {
    const r = await run(['compute', 'start', '--cpus', 'two']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--cpus <n>.*'two' is invalid.*whole number/);
    const m = await run(['compute', 'start', '--connection-mode', 'tunnel']);
    expect(m.code).not.toBe(0);
    expect(m.err).toMatch(/--connection-mode.*tunnel/);
  });

  it('lists every subcommand in --help', async () => {
    const r = await run(['compute', '--help']);
    expect(r.code).toBe(0);
    for (const sub of ['start', 'stop', 'list', 'status', 'logs', 'usage', 'manifest'])
      expect(r.out).toMatch(new RegExp(`\\n\\s+${sub}\\b`));
  });
});
