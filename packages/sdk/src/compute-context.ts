/**
 * A compute context: a cluster in the customer's account that runs queries. `start()`
 * starts one (or returns the live cluster of a manifest) and waits until it is Idle;
 * `connect(clusterId)` attaches to a running one; `stop()` stops it. With `await using`,
 * the cluster stops when the block ends — unless it was attached with `connect`.
 */
import type { CallInput, Cluster } from '@ferry/api';
import { ControlPlane } from './control-plane.ts';
import { ClusterUnavailableError } from './errors.ts';
import type { FerryConnectionOptions } from './settings.ts';
import { QueryHandle } from './query-handle.ts';
import { DirectTransport, ProxyTransport, type QueryTransport } from './transport.ts';

/** What kind of cluster to start. */
export interface ComputeContextOptions extends FerryConnectionOptions {
  /** Minimum vCPUs. */
  cpus?: number;
  /** Minimum memory, GiB. */
  memory?: number;
  /** An explicit instance type instead of cpus/memory. */
  instanceType?: string;
  architecture?: 'x86_64' | 'arm64';
  /** Disk per node, GiB. */
  storage?: number;
  clusterSize?: number;
  /** `direct` (the default): queries go straight to the worker; `proxy`: through the control plane. */
  connectionMode?: 'direct' | 'proxy';
  /** Minutes without a query before the cluster stops itself. */
  idleTimeoutMins?: number;
  labels?: Record<string, string>;
  /** Start (or reuse) the workspace's manifest of this name instead. */
  manifest?: string;
  /** How long `start()` waits for the cluster to be Idle (default 15 minutes). */
  startTimeoutSeconds?: number;
}

/** A cluster as `ComputeContext.list()` shows it. */
export interface ClusterSummary {
  readonly id: string;
  readonly state: string;
  readonly manifest: string | null;
  readonly instanceType: string | null;
  readonly usdPerHour: number | null;
  readonly connectionMode: 'direct' | 'proxy';
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt: string;
}

/** A cluster's state as `ctx.status()` shows it. */
export interface ClusterStatus extends ClusterSummary {
  /** Why it stopped or failed. */
  readonly reason: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** Cost so far: every node's running time × $/hour. */
  readonly runningCostUsd: number;
  readonly nodes: readonly {
    readonly instanceId: string;
    readonly instanceType: string;
    readonly ec2State: string;
    readonly agentState: 'idle' | 'busy' | null;
  }[];
}

const summaryOf = (c: Cluster): ClusterSummary => ({
  id: c.id,
  state: c.state,
  manifest: c.manifest,
  instanceType: c.instanceType,
  usdPerHour: c.usdPerHour,
  connectionMode: c.connectionMode,
  labels: c.labels,
  createdAt: c.createdAt,
});

const START_KEYS = [
  'cpus',
  'memory',
  'instanceType',
  'architecture',
  'storage',
  'clusterSize',
  'connectionMode',
  'idleTimeoutMins',
  'labels',
  'manifest',
] as const;

const notStarted = () =>
  new ClusterUnavailableError(
    'not_started',
    'The compute context has no cluster yet: call start() or ComputeContext.connect() first.',
  );

/** A cluster to run queries on. */
export class ComputeContext {
  /** @internal */
  readonly controlPlane: ControlPlane;
  readonly #options: ComputeContextOptions;
  #clusterId: string | undefined;
  #workspaceId: string | undefined;
  #mode: 'direct' | 'proxy';
  #transport: QueryTransport | undefined;
  #attached = false;

  /** Describes a cluster; nothing starts until {@link ComputeContext.start}. */
  constructor(options: ComputeContextOptions = {}) {
    this.#options = options;
    this.controlPlane = new ControlPlane(options);
    this.#mode = options.connectionMode ?? 'direct';
  }

  /** Attaches to a running cluster (it is not stopped when the context is disposed). */
  static async connect(
    clusterId: string,
    options: FerryConnectionOptions = {},
  ): Promise<ComputeContext> {
    const ctx = new ComputeContext(options);
    const workspaceId = await ctx.controlPlane.workspaceId();
    const cluster = await ctx.controlPlane.call('compute.get', {
      params: { workspaceId, clusterId },
    });
    ctx.#adopt(cluster, workspaceId);
    ctx.#attached = true;
    return ctx;
  }

  /** Starts the workspace's manifest `name` (or returns its live cluster), waiting until Idle. */
  static fromManifest(
    name: string,
    options: Omit<ComputeContextOptions, 'manifest'> = {},
  ): Promise<ComputeContext> {
    return new ComputeContext({ ...options, manifest: name }).start();
  }

  /** The workspace's clusters, newest first. */
  static async list(
    options: FerryConnectionOptions & { state?: string } = {},
  ): Promise<ClusterSummary[]> {
    const cp = new ControlPlane(options);
    const workspaceId = await cp.workspaceId();
    const out: ClusterSummary[] = [];
    let cursor: string | undefined;
    do {
      const page = await cp.call('compute.list', {
        params: { workspaceId },
        query: {
          limit: 100,
          ...(cursor ? { cursor } : {}),
          ...(options.state ? { state: options.state } : {}),
        },
      });
      out.push(...page.items.map(summaryOf));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }

  /** The cluster's id (after `start()` or `connect()`). */
  get clusterId(): string {
    if (this.#clusterId === undefined) throw notStarted();
    return this.#clusterId;
  }

  /** How queries reach the cluster. */
  get connectionMode(): 'direct' | 'proxy' {
    return this.#mode;
  }

  /** The workspace's id (after `start()` or `connect()`). */
  get workspaceId(): string {
    if (this.#workspaceId === undefined) throw notStarted();
    return this.#workspaceId;
  }

  #adopt(cluster: Cluster, workspaceId: string): void {
    this.#clusterId = cluster.id;
    this.#workspaceId = workspaceId;
    this.#mode = cluster.connectionMode;
    this.#transport = undefined;
  }

  /** Starts the cluster and waits until it is Idle (ready for queries). */
  async start(): Promise<this> {
    const workspaceId = await this.controlPlane.workspaceId();
    const body = Object.fromEntries(
      START_KEYS.filter((k) => this.#options[k] !== undefined).map((k) => [k, this.#options[k]]),
    ) as CallInput<'compute.start'>['body'];
    const started = await this.controlPlane.call('compute.start', {
      params: { workspaceId },
      body,
    });
    this.#adopt(started, workspaceId);
    await this.#waitUntilReady(this.#options.startTimeoutSeconds ?? 900);
    return this;
  }

  async #waitUntilReady(timeoutSeconds: number): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const cluster = await this.controlPlane.call('compute.wait', {
        params: { workspaceId: this.workspaceId, clusterId: this.clusterId },
        query: { state: 'Idle,Busy', waitSeconds: 20 },
      });
      if (cluster.state === 'Idle' || cluster.state === 'Busy') return;
      if (cluster.state !== 'Starting') {
        throw new ClusterUnavailableError(
          'cluster_not_live',
          `Cluster ${cluster.id} is ${cluster.state}${cluster.error ? `: ${cluster.error.message}` : ''}.`,
        );
      }
      if (Date.now() > deadline) {
        throw new ClusterUnavailableError(
          'start_timeout',
          `Cluster ${cluster.id} is still Starting after ${timeoutSeconds} s.`,
          { retryable: true },
        );
      }
    }
  }

  /** The cluster's state, instance type, cost so far and nodes. */
  async status(): Promise<ClusterStatus> {
    const c = await this.controlPlane.call('compute.get', {
      params: { workspaceId: this.workspaceId, clusterId: this.clusterId },
    });
    return {
      ...summaryOf(c),
      reason: c.reason,
      error: c.error,
      runningCostUsd: c.runningCostUsd,
      nodes: c.nodes.map((n) => ({
        instanceId: n.instanceId,
        instanceType: n.instanceType,
        ec2State: n.ec2State,
        agentState: n.agentState,
      })),
    };
  }

  /** Stops the cluster (its instances are terminated). */
  async stop(): Promise<void> {
    if (this.#clusterId === undefined) return;
    await this.controlPlane.call('compute.stop', {
      params: { workspaceId: this.workspaceId, clusterId: this.clusterId },
    });
  }

  /** A handle on a query already submitted to this cluster (e.g. by another process). */
  query(queryId: string): QueryHandle {
    return new QueryHandle(this.transport(), Promise.resolve(queryId));
  }

  /** @internal The transport of the cluster's connection mode. */
  transport(): QueryTransport {
    this.#transport ??=
      this.#mode === 'direct'
        ? new DirectTransport(this.controlPlane, this.workspaceId, this.clusterId)
        : new ProxyTransport(this.controlPlane, this.workspaceId, this.clusterId);
    return this.#transport;
  }

  /** `await using ctx = …`: stops a cluster this context started. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#attached) await this.stop();
  }
}
