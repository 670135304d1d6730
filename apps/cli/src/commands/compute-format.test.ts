import { clusterEventSchema, clusterSchema, logLineSchema, manifestSchema } from '@ferry/api';
import { describe, expect, it } from 'vitest';
import {
  formatClusterList,
  formatLogLine,
  formatManifestList,
  formatStarted,
  formatStatus,
  table,
  usd,
} from './compute-format.ts';

const AT = '2026-01-02T03:04:05.000Z';

// Parsed by the contract's schema, so the fixture is a cluster the API could return.
const cluster = clusterSchema.parse({
  id: 'cl_0123456789abcdefghjkmnpqrs',
  workspaceId: 'ws_0123456789abcdefghjkmnpqrs',
  manifest: null,
  state: 'Idle',
  reason: null,
  error: null,
  region: 'us-east-1',
  cpus: 2,
  memory: 4,
  requestedInstanceType: null,
  architecture: 'any',
  storage: 32,
  clusterSize: 1,
  connectionMode: 'direct',
  idleTimeoutMins: 60,
  labels: { team: 'data' },
  instanceType: 't3.medium',
  usdPerHour: 0.0416,
  selection: {
    instanceType: 't3.medium',
    usdPerHour: 0.0416,
    zones: ['us-east-1a', 'us-east-1b'],
    reason:
      't3.medium at $0.0416/hour in us-east-1 is the cheapest type with ≥ 2 vCPUs and ≥ 4 GiB.',
    fallbacks: [{ instanceType: 't3a.medium', usdPerHour: 0.0376, zones: ['us-east-1a'] }],
    candidates: [
      {
        instanceType: 't3.medium',
        vcpus: 2,
        memoryGiB: 4,
        usdPerHour: 0.0416,
        zones: ['us-east-1a', 'us-east-1b'],
        rejected: [],
        rank: 0,
      },
      ...Array.from({ length: 6 }, (_, i) => ({
        instanceType: `m${i + 5}.large`,
        vcpus: 2,
        memoryGiB: 8,
        usdPerHour: 0.1 + i / 100,
        zones: ['us-east-1a'],
        rejected: [],
        rank: i + 1,
      })),
      {
        instanceType: 't3.micro',
        vcpus: 2,
        memoryGiB: 1,
        usdPerHour: 0.0104,
        zones: ['us-east-1a'],
        rejected: ['too_little_memory'],
      },
      {
        instanceType: 't3.nano',
        vcpus: 2,
        memoryGiB: 0.5,
        usdPerHour: 0.0052,
        zones: ['us-east-1a'],
        rejected: ['too_little_memory'],
      },
    ],
  },
  runningCostUsd: 0.0012,
  nodes: [
    {
      instanceId: 'i-0123456789abcdef0',
      instanceType: 't3.medium',
      availabilityZone: 'us-east-1a',
      privateIp: '10.0.0.12',
      ec2State: 'running',
      agentState: 'idle',
      launchedAt: AT,
      registeredAt: AT,
      lastHeartbeatAt: AT,
      terminatedAt: null,
    },
  ],
  startedBy: { kind: 'user', id: 'usr_0123456789abcdefghjkmnpqrs' },
  createdAt: AT,
  updatedAt: AT,
  stoppedAt: null,
  lastActivityAt: AT,
  revision: 3,
});

describe('compute formatting', () => {
  it('aligns tables', () => {
    expect(
      table(
        ['A', 'LONGER'],
        [
          ['xyz', '1'],
          ['q', '22'],
        ],
      ),
    ).toBe('A    LONGER\nxyz  1\nq    22\n');
  });

  it('prints prices to the cent above a dollar, to 1/100 cent below', () => {
    expect(usd(0.0416)).toBe('$0.0416');
    expect(usd(3.456)).toBe('$3.46');
    expect(usd(null)).toBe('-');
  });

  it('shows the chosen type, why, the top candidates and the rejection counts', () => {
    const out = formatStarted({ ...cluster, reused: false });
    expect(out).toContain('cluster cl_0123456789abcdefghjkmnpqrs  Idle');
    expect(out).toContain('instance type: t3.medium at $0.0416/hour per node');
    expect(out).toContain('why:           t3.medium at $0.0416/hour');
    expect(out).toContain('candidates (7 fit, cheapest first)');
    expect(out).toMatch(/0\s+t3\.medium ←\s+2\s+4\s+\$0\.0416\s+us-east-1a,us-east-1b/);
    expect(out).toContain('m8.large');
    expect(out).not.toContain('m9.large');
    expect(out).toContain('… and 2 more that fit');
    expect(out).toContain('rejected: 2 types (too_little_memory 2)');
    expect(out).toContain('fallbacks on capacity errors: t3a.medium $0.0376');
    expect(out).not.toContain('reused');
    expect(formatStarted({ ...cluster, manifest: 'nightly', reused: true })).toContain(
      'reused:        the live cluster of manifest nightly',
    );
  });

  it('shows status with cost, nodes and events', () => {
    const events = [
      clusterEventSchema.parse({
        at: AT,
        from: null,
        to: 'Starting',
        event: 'start',
        message: null,
      }),
      clusterEventSchema.parse({
        at: AT,
        from: 'Starting',
        to: 'Idle',
        event: 'ready',
        message: 'every node registered',
      }),
    ];
    const out = formatStatus(cluster, events);
    expect(out).toContain('running cost:  $0.0012');
    expect(out).toContain('labels:        team=data');
    expect(out).toMatch(
      /i-0123456789abcdef0\s+t3\.medium\s+us-east-1a\s+10\.0\.0\.12\s+running\s+idle/,
    );
    expect(out).toMatch(/Starting\s+Idle\s+ready\s+every node registered/);
  });

  it('shows a failed node’s console output below the events, one indented line each', () => {
    const failed = {
      ...cluster,
      state: 'Failed' as const,
      reason: 'Failed' as const,
      error: { code: 'NodeEndedBeforeRegistering', message: 'node i-0123456789abcdef0 ended' },
    };
    const events = [
      clusterEventSchema.parse({
        at: AT,
        from: 'Starting',
        to: 'Failed',
        event: 'fail',
        message: 'node i-0123456789abcdef0 ended',
      }),
      clusterEventSchema.parse({
        at: AT,
        from: 'Failed',
        to: 'Failed',
        event: 'console_output',
        message: 'console output of i-0123456789abcdef0:\nboot ok\nError: cannot find module',
      }),
    ];
    const out = formatStatus(failed, events);
    expect(out).toContain('Failed (Failed) — NodeEndedBeforeRegistering: node i-0123456789abcdef0');
    expect(out).toMatch(
      /Failed\s+Failed\s+console_output\s+console output of i-0123456789abcdef0:\n/,
    );
    expect(out).toContain(
      '  console output of i-0123456789abcdef0:\n    | boot ok\n    | Error: cannot find module\n',
    );
  });

  it('lists clusters, failed ones with their reason', () => {
    const failed = { ...cluster, state: 'Failed' as const, reason: 'Failed' as const, nodes: [] };
    const out = formatClusterList([cluster, failed]);
    expect(out.split('\n')[0]).toMatch(
      /^ID\s+STATE\s+TYPE\s+NODES\s+\$\/HOUR\s+COST\s+MANIFEST\s+CREATED$/,
    );
    expect(out).toMatch(/cl_\w+\s+Idle\s+t3\.medium\s+1\/1\s+\$0\.0416/);
    expect(out).toMatch(/cl_\w+\s+Failed \(Failed\)\s+t3\.medium\s+0\/1/);
    expect(formatClusterList([])).toBe('no clusters\n');
  });

  it('prints log lines and manifests', () => {
    const line = logLineSchema.parse({
      at: AT,
      instanceId: 'i-0123456789abcdef0',
      stream: 'agent',
      line: 'registered',
    });
    expect(formatLogLine(line)).toBe(`${AT} i-0123456789abcdef0 agent  registered\n`);
    const m = manifestSchema.parse({
      workspaceId: cluster.workspaceId,
      name: 'nightly',
      spec: { cpus: 4, labels: { team: 'data' } },
      liveClusterId: null,
      createdAt: AT,
      updatedAt: AT,
    });
    expect(formatManifestList([m])).toMatch(/nightly\s+-\s+cpus=4 labels=team:data/);
  });
});
