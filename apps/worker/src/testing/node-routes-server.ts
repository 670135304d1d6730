/**
 * For tests: a small HTTP server on 127.0.0.1 that plays the control plane's two node
 * routes from their @ferry/api contracts (paths, body schemas, answers, error shape). It
 * accepts one bootstrap token for one cluster, answers 409 `node_not_recorded` for
 * instances the test has not `record`ed (as the real one does before the launcher wrote
 * the node), issues a node token, and keeps every call for assertions.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { computeContracts, heartbeatBodySchema, registerNodeBodySchema } from '@ferry/api';
import { BOOTSTRAP_TOKEN_HEADER, WORKER_BUNDLE_ROUTE } from '@ferry/core';
import { NODE_TOKEN_HEADER } from '../control-plane-client.ts';

/** Bodies as the server sees them, after the contract's parsing (defaults applied). */
export type ParsedRegister = ReturnType<typeof registerNodeBodySchema.parse>;
export type ParsedHeartbeat = ReturnType<typeof heartbeatBodySchema.parse>;

export interface RecordedCall<B> {
  readonly at: number;
  readonly status: number;
  /** The parsed body when it matched the contract. */
  readonly body: B | undefined;
  readonly raw: unknown;
  /** The node token header as sent (heartbeats). */
  readonly token?: string | undefined;
}

export type Injected = { status: number; code: string; message?: string } | 'hang';

export interface NodeRoutesServer {
  readonly url: string;
  readonly registers: RecordedCall<ParsedRegister>[];
  readonly heartbeats: RecordedCall<ParsedHeartbeat>[];
  /** Node tokens issued, by instance id. */
  readonly nodeTokens: Map<string, string>;
  /** The launcher recorded this instance: its registration may now succeed. */
  record(instanceId: string): void;
  /** What heartbeat answers say from now on (`stop` also refuses new registrations). */
  answer(next: { stop?: boolean; idleTimeoutMins?: number }): void;
  /** The next `times` calls of the route fail this way (before any other check). */
  inject(route: 'register' | 'heartbeat', failure: Injected, times?: number): void;
  close(): Promise<void>;
}

export interface NodeRoutesServerOptions {
  readonly clusterId: string;
  readonly bootstrapToken: string;
  /** What the register answer says. */
  readonly heartbeatSeconds: number;
  readonly idleTimeoutMins: number;
  /** Instances recorded from the start. */
  readonly recorded?: readonly string[];
  /** Worker bundles served to the bootstrap token, as the control plane does: file name → path. */
  readonly bundles?: Readonly<Record<string, string>>;
}

export async function startNodeRoutesServer(
  options: NodeRoutesServerOptions,
): Promise<NodeRoutesServer> {
  const recorded = new Set(options.recorded ?? []);
  const registers: RecordedCall<ParsedRegister>[] = [];
  const heartbeats: RecordedCall<ParsedHeartbeat>[] = [];
  const nodeTokens = new Map<string, string>();
  const injected: Record<'register' | 'heartbeat', { failure: Injected; times: number }[]> = {
    register: [],
    heartbeat: [],
  };
  let stop = false;
  let idleTimeoutMins = options.idleTimeoutMins;
  let requestCount = 0;
  const hanging = new Set<ServerResponse>();

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const fail = (
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    details?: { path: string; message: string }[],
  ) => {
    requestCount += 1;
    send(res, status, {
      error: {
        code,
        message,
        ...(details ? { details } : {}),
        requestId: `req_test_${requestCount}`,
      },
    });
  };

  const readJson = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  };

  const takeInjected = (route: 'register' | 'heartbeat'): Injected | undefined => {
    const next = injected[route][0];
    if (next === undefined) return undefined;
    next.times -= 1;
    if (next.times <= 0) injected[route].shift();
    return next.failure;
  };

  const sendBundle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const prefix = `${WORKER_BUNDLE_ROUTE}/`;
    if (req.method !== 'GET' || !req.url?.startsWith(prefix)) return false;
    const path = options.bundles?.[req.url.slice(prefix.length)];
    if (req.headers[BOOTSTRAP_TOKEN_HEADER] !== options.bootstrapToken) {
      fail(res, 401, 'bootstrap_token_invalid', 'The bootstrap token is not valid.');
    } else if (path === undefined) {
      fail(res, 404, 'not_found', 'No such worker bundle here.');
    } else {
      res.writeHead(200, {
        'content-type': path.endsWith('.zst') ? 'application/zstd' : 'application/gzip',
        'content-length': statSync(path).size,
      });
      createReadStream(path).pipe(res);
    }
    return true;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (sendBundle(req, res)) return;
    const raw = await readJson(req);
    const at = Date.now();
    const route =
      req.method === 'POST' && req.url === computeContracts['nodes.register'].path
        ? 'register'
        : req.method === 'POST' && req.url === computeContracts['nodes.heartbeat'].path
          ? 'heartbeat'
          : undefined;
    if (route === undefined) return fail(res, 404, 'not_found', 'No such route.');
    const header = req.headers[NODE_TOKEN_HEADER];
    const token = typeof header === 'string' ? header : undefined;
    const calls: RecordedCall<unknown>[] = route === 'register' ? registers : heartbeats;
    const injectedFailure = takeInjected(route);
    if (injectedFailure === 'hang') {
      hanging.add(res);
      calls.push({ at, status: 0, body: undefined, raw, token });
      return;
    }
    if (injectedFailure !== undefined) {
      calls.push({ at, status: injectedFailure.status, body: undefined, raw, token });
      return fail(
        res,
        injectedFailure.status,
        injectedFailure.code,
        injectedFailure.message ?? 'Injected.',
      );
    }

    if (route === 'register') {
      const parsed = registerNodeBodySchema.safeParse(raw);
      if (!parsed.success) {
        registers.push({ at, status: 400, body: undefined, raw });
        return fail(
          res,
          400,
          'validation_failed',
          'Invalid request body.',
          parsed.error.issues.map((i) => ({
            path: `body.${i.path.join('.')}`,
            message: i.message,
          })),
        );
      }
      const b = parsed.data;
      // The codes and order of checks of the control plane's own node intake.
      const refusal: [number, string, string] | undefined =
        b.bootstrapToken !== options.bootstrapToken || b.clusterId !== options.clusterId
          ? [401, 'bootstrap_token_invalid', 'The bootstrap token is not valid for this cluster.']
          : stop
            ? [409, 'cluster_not_live', `Cluster ${b.clusterId} is stopping.`]
            : !recorded.has(b.instanceId)
              ? [409, 'node_not_recorded', `Instance ${b.instanceId} is not a recorded node yet.`]
              : nodeTokens.has(b.instanceId)
                ? [409, 'node_already_registered', `Instance ${b.instanceId} already registered.`]
                : undefined;
      registers.push({ at, status: refusal?.[0] ?? 200, body: b, raw });
      if (refusal !== undefined) return fail(res, ...refusal);
      const nodeToken = `ferry_node_${randomBytes(24).toString('base64url')}`;
      nodeTokens.set(b.instanceId, nodeToken);
      return send(res, 200, {
        nodeToken,
        heartbeatSeconds: options.heartbeatSeconds,
        idleTimeoutMins,
      });
    }

    if (token === undefined || ![...nodeTokens.values()].includes(token)) {
      heartbeats.push({ at, status: 401, body: undefined, raw, token });
      return fail(res, 401, 'node_token_invalid', 'No valid node token.');
    }
    const parsed = heartbeatBodySchema.safeParse(raw);
    if (!parsed.success) {
      heartbeats.push({ at, status: 400, body: undefined, raw, token });
      return fail(
        res,
        400,
        'validation_failed',
        'Invalid request body.',
        parsed.error.issues.map((i) => ({ path: `body.${i.path.join('.')}`, message: i.message })),
      );
    }
    heartbeats.push({ at, status: 200, body: parsed.data, raw, token });
    return send(res, 200, { stop, idleTimeoutMins });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) fail(res, 500, 'internal', e instanceof Error ? e.message : 'error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    registers,
    heartbeats,
    nodeTokens,
    record: (id) => void recorded.add(id),
    answer(next) {
      if (next.stop !== undefined) stop = next.stop;
      if (next.idleTimeoutMins !== undefined) idleTimeoutMins = next.idleTimeoutMins;
    },
    inject(route, failure, times = 1) {
      injected[route].push({ failure, times });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
