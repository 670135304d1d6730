import { describe, expect, it } from 'vitest';
import { runFerry } from '../testing/cli-test-kit.ts';

describe('ferry query without a control plane', () => {
  const run = (argv: string[], env: Record<string, string> = {}) => runFerry(argv, { env });
  const env = {
    FERRY_URL: 'http://127.0.0.1:9',
    FERRY_TOKEN: 'ferry_pat_do_not_print_me',
    FERRY_WORKSPACE: 'ws_00000000000000000000000000',
  };

  it('lists every subcommand in --help', async () => {
    const r = await run(['query', '--help']);
    expect(r.code).toBe(0);
    for (const sub of ['run', 'list', 'status', 'cancel', 'result', 'profile'])
      expect(r.out).toMatch(new RegExp(`\\n\\s+${sub}\\b`));
  });

  it('names the missing setting, and wants exactly one of --sql and --plan', async () => {
    const r = await run(['query', 'list']);
    // A missing setting is a usage error (2); an unreachable control plane is 6 (docs/cli.md).
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ferry: missing --url \(or FERRY_URL\), --token/);
    const noCluster = await run(['query', 'run', '--sql', 'SELECT 1'], env);
    expect(noCluster.err).toBe('ferry: --cluster is required\n');
    const both = await run(
      ['query', 'run', '--cluster', 'cl_00000000000000000000000000', '--sql', 'x', '--plan', 'y'],
      env,
    );
    expect(both.err).toBe('ferry: give exactly one of --sql and --plan\n');
    const neither = await run(['query', 'run', '--cluster', 'cl_00000000000000000000000000'], env);
    expect(neither.err).toBe('ferry: give exactly one of --sql and --plan\n');
  });

  it('says when the control plane cannot be reached, without printing the token', async () => {
    const r = await run(['query', 'status', 'qry_00000000000000000000000000'], env);
    expect(r.code).toBe(6);
    expect(r.err).toMatch(/^ferry: cannot reach the control plane/);
    expect(r.out + r.err).not.toContain('do_not_print_me');
  });
});
