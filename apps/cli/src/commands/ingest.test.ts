import { describe, expect, it } from 'vitest';
import { runFerry } from '../testing/cli-test-kit.ts';
import { formatOf, ingestionText, startingPositionOf } from './ingest.ts';

describe('ferry ingest without a control plane', () => {
  const run = (argv: string[], env: Record<string, string> = {}) => runFerry(argv, { env });
  const env = {
    FERRY_URL: 'http://127.0.0.1:9',
    FERRY_TOKEN: 'ferry_pat_do_not_print_me',
    FERRY_WORKSPACE: 'ws_00000000000000000000000000',
  };
  const cluster = ['--cluster', 'cl_00000000000000000000000000'];

  it('lists every subcommand in --help, and each has its own --help with --json', async () => {
    const r = await run(['ingest', '--help']);
    expect(r.code).toBe(0);
    for (const sub of ['start', 'status', 'stop'])
      expect(r.out).toMatch(new RegExp(`\\n\\s+${sub}\\b`));
    for (const sub of ['start', 'status', 'stop']) {
      const h = await run(['ingest', sub, '--help']);
      expect(h.code, sub).toBe(0);
      expect(h.out, sub).toContain('--json');
    }
    expect((await run(['ingest', 'start', '--help'])).out).toMatch(/--from <position>/);
  });

  it('names the flag at fault before calling anything', async () => {
    const noCluster = await run(['ingest', 'start', 'clicks'], env);
    expect(noCluster.code).toBe(2);
    expect(noCluster.err).toMatch(/--cluster/);
    const from = await run(['ingest', 'start', 'clicks', ...cluster, '--from', 'yesterday'], env);
    expect(from.code).toBe(2);
    expect(from.err).toMatch(/^ferry: --from: expected trim-horizon, latest or an ISO timestamp/);
    const csv = await run(['ingest', 'start', 'clicks', ...cluster, '--format', 'csv'], env);
    expect(csv.err).toBe('ferry: --format csv needs --csv-columns a,b,c\n');
    const n = await run(['ingest', 'start', 'clicks', ...cluster, '--flush-records', '0'], env);
    expect(n.err).toMatch(/--flush-records: expected a positive integer/);
    const both = await run(
      ['ingest', 'start', 'clicks', ...cluster, '--continuous', '--wait'],
      env,
    );
    expect(both.err).toMatch(/--wait goes with one-shot/);
  });

  it('says when the control plane cannot be reached, without printing the token', async () => {
    const r = await run(['ingest', 'status', 'ing_00000000000000000000000000'], env);
    expect(r.code).toBe(6);
    expect(r.err).toMatch(/^ferry: cannot reach the control plane/);
    expect(r.out + r.err).not.toContain('do_not_print_me');
  });

  it('maps --from and --format to the API', () => {
    expect(startingPositionOf(undefined)).toEqual({ type: 'TRIM_HORIZON' });
    expect(startingPositionOf('latest')).toEqual({ type: 'LATEST' });
    expect(startingPositionOf('2026-01-31T12:00:00Z')).toEqual({
      type: 'AT_TIMESTAMP',
      timestamp: '2026-01-31T12:00:00.000Z',
    });
    expect(formatOf('csv', 'a, b')).toEqual({ type: 'csv', columns: ['a', 'b'] });
    expect(() => formatOf(undefined, 'a')).toThrow(/--csv-columns goes with --format csv/);
  });

  it('prints an ingestion with a row per shard', () => {
    const text = ingestionText({
      id: 'ing_00000000000000000000000000',
      workspaceId: 'ws_00000000000000000000000000',
      clusterId: 'cl_00000000000000000000000000',
      connection: 'clicks',
      stream: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks',
      startingPosition: { type: 'TRIM_HORIZON' },
      format: { type: 'json' },
      flushRecords: 100,
      flushSeconds: 5,
      mode: 'one-shot',
      location: 's3://results/ingestions/ing_00000000000000000000000000/',
      destination: null,
      state: 'Running',
      stateReason: null,
      records: 7,
      files: 2,
      shards: [
        {
          shardId: 'shardId-000000000002',
          parentShardIds: ['shardId-000000000000'],
          lastSequenceNumber: '49590',
          records: 7,
          files: 2,
          finished: false,
        },
      ],
      nodeId: 'i-0123456789abcdef0',
      createdBy: 'usr_00000000000000000000000000',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: null,
    });
    expect(text).toContain('7 records in 2 files under s3://results/ingestions/');
    expect(text).toMatch(/shardId-000000000002\s+shardId-000000000000\s+7\s+2\s+49590\s+no/);
  });
});
