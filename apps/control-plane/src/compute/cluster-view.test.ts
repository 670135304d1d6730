import { describe, expect, it } from 'vitest';
import type { ClusterRow } from './cluster-transitions.ts';
import { clusterRunningCost, clusterView, type ClusterNodeRow } from './cluster-view.ts';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const HOUR = 3_600_000;

const row: ClusterRow = {
  id: 'cl_01aaaaaaaaaaaaaaaaaaaaaaaa',
  workspace_id: 'ws_01aaaaaaaaaaaaaaaaaaaaaaaa',
  org_id: 'org_01aaaaaaaaaaaaaaaaaaaaaaaa',
  manifest: null,
  region: 'eu-west-1',
  context: {
    sizing: { kind: 'instanceType', instanceType: 'c7g.large' },
    architecture: 'arm64',
    storageGiB: 64,
    clusterSize: 2,
    connectionMode: 'proxy',
    idleTimeoutMins: 30,
    labels: { team: 'x' },
  },
  state: 'Failed',
  reason: 'Failed',
  error_code: 'InsufficientInstanceCapacity',
  error_message: 'no capacity',
  instance_type: 'c7g.large',
  usd_per_hour: 0.08,
  selection: null,
  launch_attempt: 2,
  launched_at: new Date(T0),
  fleet_ids: [],
  launch_template_id: null,
  bootstrap_token_hash: 'h',
  started_by_kind: 'service-account',
  started_by_id: 'sa_01aaaaaaaaaaaaaaaaaaaaaaaa',
  last_activity_at: new Date(T0),
  last_heartbeat_at: null,
  created_at: new Date(T0),
  updated_at: new Date(T0 + HOUR),
  stopped_at: new Date(T0 + HOUR),
  revision: 3,
};

function node(
  id: string,
  launched: number,
  terminated: number | null,
  usd: number,
): ClusterNodeRow {
  return {
    instance_id: id,
    cluster_id: row.id,
    workspace_id: row.workspace_id,
    instance_type: 'c7g.large',
    availability_zone: 'eu-west-1a',
    private_ip: null,
    query_port: null,
    tls_fingerprint: null,
    public_ip: null,
    ec2_state: terminated === null ? 'running' : 'terminated',
    agent_state: null,
    vcpus: 2,
    memory_gib: 4,
    storage_gib: 64,
    usd_per_hour: usd,
    node_token_hash: 'secret-hash',
    launched_at: new Date(launched),
    registered_at: null,
    last_heartbeat_at: null,
    terminated_at: terminated === null ? null : new Date(terminated),
  };
}

describe('clusterView', () => {
  it('shows an explicit instance type, the error, who started it and no token hash', () => {
    const nodes = [node('i-0b', T0 + HOUR, null, 0.08), node('i-0a', T0, T0 + 2 * HOUR, 0.08)];
    const view = clusterView(row, nodes, new Date(T0 + 3 * HOUR));
    expect(view).toMatchObject({
      state: 'Failed',
      reason: 'Failed',
      error: { code: 'InsufficientInstanceCapacity', message: 'no capacity' },
      cpus: null,
      memory: null,
      requestedInstanceType: 'c7g.large',
      architecture: 'arm64',
      storage: 64,
      clusterSize: 2,
      connectionMode: 'proxy',
      idleTimeoutMins: 30,
      labels: { team: 'x' },
      startedBy: { kind: 'service-account', id: 'sa_01aaaaaaaaaaaaaaaaaaaaaaaa' },
      stoppedAt: new Date(T0 + HOUR).toISOString(),
      revision: 3,
    });
    // Nodes in launch order; 2 h + 2 h at $0.08.
    expect(view.nodes.map((n) => n.instanceId)).toEqual(['i-0a', 'i-0b']);
    expect(view.runningCostUsd).toBeCloseTo(0.32, 9);
    expect(JSON.stringify(view)).not.toContain('secret-hash');
    expect(JSON.stringify(view)).not.toContain('bootstrap');
  });

  it('prices each node at its own rate and grows only while a node runs', () => {
    const nodes = [node('i-1', T0, T0 + HOUR, 1), node('i-2', T0, null, 0.5)];
    expect(clusterRunningCost(nodes, new Date(T0 + 2 * HOUR))).toBeCloseTo(2, 9);
    expect(clusterRunningCost(nodes, new Date(T0 + 4 * HOUR))).toBeCloseTo(3, 9);
    expect(clusterRunningCost([], new Date(T0))).toBe(0);
  });
});
