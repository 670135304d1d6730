/**
 * Which starting clusters have failed to boot: a node that has not registered with the
 * control plane within the bootstrap timeout of the cluster's last launch, or one that EC2
 * already shows ending before it ever registered (a worker that cannot start powers the
 * node off). Pure: the control plane fetches the nodes' console output and fails them.
 */

/** A node of a starting cluster, as the database records it and EC2 shows it. */
export interface BootstrapNode {
  readonly instanceId: string;
  readonly registered: boolean;
  /** EC2's state name, when the last observation listed the instance. */
  readonly ec2State?: string;
}

/** A Starting cluster. */
export interface BootstrappingCluster {
  readonly id: string;
  readonly clusterSize: number;
  /** When its last CreateFleet was sent (or, before any, when it was created), in ms. */
  readonly launchedAt: number;
  readonly nodes: readonly BootstrapNode[];
}

/** A cluster to fail, with the nodes that never registered and why. */
export interface BootstrapFailure {
  readonly clusterId: string;
  readonly code: 'NodeBootstrapTimeout' | 'NodeEndedBeforeRegistering';
  readonly message: string;
  /** The nodes whose console output explains the failure. */
  readonly instanceIds: readonly string[];
}

/** Default time a node has to register after its launch. */
export const DEFAULT_BOOTSTRAP_TIMEOUT_MS = 10 * 60_000;

const ENDED = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/** The starting clusters to fail now; empty when every one is still within its time. */
export function planBootstrapFailures(
  clusters: readonly BootstrappingCluster[],
  now: number,
  timeoutMs: number = DEFAULT_BOOTSTRAP_TIMEOUT_MS,
): BootstrapFailure[] {
  const out: BootstrapFailure[] = [];
  for (const c of clusters) {
    const unregistered = c.nodes.filter((n) => !n.registered);
    const ended = unregistered.filter((n) => n.ec2State !== undefined && ENDED.has(n.ec2State));
    if (ended.length > 0) {
      const ids = ended.map((n) => n.instanceId);
      out.push({
        clusterId: c.id,
        code: 'NodeEndedBeforeRegistering',
        message: `node ${ids.join(', ')} ended (EC2 state ${ended[0]?.ec2State ?? ''}) before registering with the control plane; its console output is in the cluster's events`,
        instanceIds: ids,
      });
      continue;
    }
    const registered = c.nodes.length - unregistered.length;
    if (registered >= c.clusterSize || now - c.launchedAt < timeoutMs) continue;
    const ids = unregistered.map((n) => n.instanceId);
    const mins = Math.round((timeoutMs / 60_000) * 100) / 100;
    out.push({
      clusterId: c.id,
      code: 'NodeBootstrapTimeout',
      message:
        ids.length > 0
          ? `node ${ids.join(', ')} did not register with the control plane within the bootstrap timeout (${mins} min); its console output is in the cluster's events`
          : `no node was launched within the bootstrap timeout (${mins} min)`,
      instanceIds: ids,
    });
  }
  return out;
}
