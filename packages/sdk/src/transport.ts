/**
 * How a query travels, per connection mode. Direct: straight to the worker over pinned TLS
 * with a query token from `connect` (renewed before it expires); the control plane only
 * hears the worker's reports. Proxy: through the control plane's query routes.
 */
import type {
  Connection,
  QueryProfile as WorkerProfile,
  QueryView,
  ResultUrls,
  WorkerInfo,
  WorkerQueryStatus,
} from '@ferry/api';
import type { ControlPlane } from './control-plane.ts';
import { ClusterUnavailableError, FerryError } from './errors.ts';
import type { QueryProfile, QueryStatus } from './query-types.ts';
import type { Agent } from 'node:https';
import {
  workerAgent,
  workerErrorCode,
  workerJson,
  workerRequest,
  type WorkerEndpoint,
} from './worker-client.ts';

/** The wire envelope (see `QueryEnvelope` of ferry's core). */
export type Envelope = Record<string, unknown> & { kind: 'plan' | 'sql' };

/** One mode's way of running queries. */
export interface QueryTransport {
  readonly mode: 'direct' | 'proxy';
  /** The cluster's versions, when the mode can learn them before sending. */
  versions(): Promise<{ ferryVersion: string; polarsVersion: string } | undefined>;
  submit(envelope: Envelope): Promise<string>;
  /** The status, waiting up to `waitSeconds` for the query to finish. */
  wait(queryId: string, waitSeconds: number): Promise<QueryStatus>;
  /** The head's Arrow IPC bytes. */
  head(queryId: string): Promise<Buffer>;
  /** Short-lived presigned GET URLs of the full result. */
  resultUrls(queryId: string): Promise<string[]>;
  cancel(queryId: string): Promise<void>;
  profile(queryId: string): Promise<QueryProfile>;
}

function statusOf(s: WorkerQueryStatus | QueryView): QueryStatus {
  return {
    id: 'queryId' in s ? s.queryId : s.id,
    state: s.state,
    error: s.error === null ? null : { code: s.error.code, message: s.error.message },
    rowCount: s.rowCount,
    bytes: s.bytes,
    location: s.location,
    schema: s.schema,
    queuedAt: s.queuedAt,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    optimizedPlan: s.optimizedPlan,
  };
}

/** Direct mode over the worker's HTTPS API. */
export class DirectTransport implements QueryTransport {
  readonly mode = 'direct' as const;
  readonly #cp: ControlPlane;
  readonly #workspaceId: string;
  readonly #clusterId: string;
  #connection: Connection | undefined;
  /** Kept-alive connections to the node, for the fingerprint they were checked against. */
  #agent: { fingerprint: string; agent: Agent } | undefined;

  constructor(cp: ControlPlane, workspaceId: string, clusterId: string, connection?: Connection) {
    this.#cp = cp;
    this.#workspaceId = workspaceId;
    this.#clusterId = clusterId;
    this.#connection = connection;
  }

  async #endpoint(): Promise<WorkerEndpoint> {
    const c = this.#connection;
    // Renew the token a minute before it expires.
    if (c === undefined || c.expiresAt === null || Date.parse(c.expiresAt) - Date.now() < 60_000) {
      this.#connection = await this.#cp.call('queries.connect', {
        params: { workspaceId: this.#workspaceId, clusterId: this.#clusterId },
      });
    }
    const { node, token } = this.#connection!;
    if (node === null || token === null) {
      throw new ClusterUnavailableError(
        'not_direct',
        `Cluster ${this.#clusterId} runs in ${this.#connection!.connectionMode} mode: it gave no node to connect to.`,
      );
    }
    return { address: node.address, port: node.port, tlsFingerprint: node.tlsFingerprint, token };
  }

  /** One request to the node, over a kept-alive connection when there is one. */
  async #request(
    method: 'GET' | 'POST',
    path: string,
    options: { json?: unknown; timeoutMs?: number; auth?: boolean } = {},
  ) {
    const endpoint = await this.#endpoint();
    const key = `${endpoint.address}:${endpoint.port}/${endpoint.tlsFingerprint}`;
    if (this.#agent?.fingerprint !== key) {
      this.#agent?.agent.destroy();
      this.#agent = { fingerprint: key, agent: workerAgent() };
    }
    return workerRequest(endpoint, method, path, { ...options, agent: this.#agent.agent });
  }

  async versions() {
    const info = workerJson<WorkerInfo>(
      await this.#request('GET', '/v1/info', { auth: false }),
      'worker info',
    );
    return { ferryVersion: info.ferryVersion, polarsVersion: info.polarsVersion };
  }

  async submit(envelope: Envelope): Promise<string> {
    const res = workerJson<{ queryId: string }>(
      await this.#request('POST', '/v1/queries', { json: { envelope } }),
      'submit',
    );
    return res.queryId;
  }

  async wait(queryId: string, waitSeconds: number): Promise<QueryStatus> {
    const res = await this.#request(
      'GET',
      `/v1/queries/${encodeURIComponent(queryId)}?waitSeconds=${waitSeconds}`,
      { timeoutMs: (waitSeconds + 30) * 1000 },
    );
    return statusOf(workerJson<WorkerQueryStatus>(res, `query ${queryId}`));
  }

  async head(queryId: string): Promise<Buffer> {
    const res = await this.#request('GET', `/v1/queries/${encodeURIComponent(queryId)}/head`);
    // A query that sank its result has no head: an empty one, as in proxy mode.
    if (res.status === 404 && workerErrorCode(res) === 'no_head') return Buffer.alloc(0);
    if (res.status !== 200) workerJson(res, `head of ${queryId}`);
    return res.body;
  }

  async resultUrls(queryId: string): Promise<string[]> {
    const res = workerJson<ResultUrls>(
      await this.#request('GET', `/v1/queries/${encodeURIComponent(queryId)}/result-urls`),
      `result of ${queryId}`,
    );
    return res.files.map((f) => f.url);
  }

  async cancel(queryId: string): Promise<void> {
    workerJson(
      await this.#request('POST', `/v1/queries/${encodeURIComponent(queryId)}/cancel`),
      `cancel ${queryId}`,
    );
  }

  async profile(queryId: string): Promise<QueryProfile> {
    const res = workerJson<WorkerProfile>(
      await this.#request('GET', `/v1/queries/${encodeURIComponent(queryId)}/profile`),
      `profile of ${queryId}`,
    );
    // The control plane adds the node's samples and the cost once the worker reported.
    const stored = await this.#cp
      .call('queries.profile', { params: { workspaceId: this.#workspaceId, queryId } })
      .catch(() => undefined);
    return {
      queryId,
      phases: res.phases,
      engine: res.engine,
      samples: res.samples ?? [],
      costUsd: stored?.costUsd ?? null,
    };
  }
}

/** How long a proxy client waits for the node to finish writing a result it reads. */
const WRITE_WAIT_MS = 10 * 60_000;

/** Proxy mode through the control plane. */
export class ProxyTransport implements QueryTransport {
  readonly mode = 'proxy' as const;
  readonly #cp: ControlPlane;
  readonly #workspaceId: string;
  readonly #clusterId: string;
  readonly #heads = new Map<string, { data: Buffer; urls: string[] }>();

  constructor(cp: ControlPlane, workspaceId: string, clusterId: string) {
    this.#cp = cp;
    this.#workspaceId = workspaceId;
    this.#clusterId = clusterId;
  }

  versions() {
    // The worker checks the envelope's versions itself and refuses a mismatch.
    return Promise.resolve(undefined);
  }

  async submit(envelope: Envelope): Promise<string> {
    const query = await this.#cp.call('queries.submit', {
      params: { workspaceId: this.#workspaceId, clusterId: this.#clusterId },
      body: { envelope: envelope as never },
    });
    return query.id;
  }

  async wait(queryId: string, waitSeconds: number): Promise<QueryStatus> {
    return statusOf(
      await this.#cp.call('queries.wait', {
        params: { workspaceId: this.#workspaceId, queryId },
        query: { waitSeconds: Math.min(30, waitSeconds) },
      }),
    );
  }

  async #head(queryId: string) {
    let head = this.#heads.get(queryId);
    if (head === undefined) {
      const answer = await this.#cp.call('queries.head', {
        params: { workspaceId: this.#workspaceId, queryId },
      });
      head = { data: Buffer.from(answer.data, 'base64'), urls: answer.resultUrls };
      // Kept only until fetched on the control plane: this handle keeps its copy.
      this.#heads.set(queryId, head);
    }
    return head;
  }

  async head(queryId: string): Promise<Buffer> {
    return (await this.#head(queryId)).data;
  }

  async resultUrls(queryId: string): Promise<string[]> {
    const { urls } = await this.#head(queryId);
    if (urls.length === 0) {
      throw new FerryError('no_result_urls', `Query ${queryId} has no result files to read.`);
    }
    await this.#written(queryId);
    return urls;
  }

  /**
   * Waits until the node has written the full result: the head (and the URLs) come before
   * the write ends, and the write's end sets the record's bytes or its error.
   */
  async #written(queryId: string): Promise<void> {
    const deadline = Date.now() + WRITE_WAIT_MS;
    for (let delay = 100; ; delay = Math.min(1000, delay * 2)) {
      const q = await this.#cp.call('queries.get', {
        params: { workspaceId: this.#workspaceId, queryId },
      });
      if (q.error?.code === 'result_write_failed') {
        throw new FerryError('result_write_failed', q.error.message);
      }
      // A size the node could not read stays null: after the deadline, try the URLs anyway.
      if (q.bytes !== null || q.error !== null || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async cancel(queryId: string): Promise<void> {
    await this.#cp.call('queries.cancel', { params: { workspaceId: this.#workspaceId, queryId } });
  }

  async profile(queryId: string): Promise<QueryProfile> {
    const p = await this.#cp.call('queries.profile', {
      params: { workspaceId: this.#workspaceId, queryId },
    });
    return {
      queryId,
      phases: p.phases,
      engine: p.engine,
      samples: p.samples ?? [],
      costUsd: p.costUsd,
    };
  }
}
