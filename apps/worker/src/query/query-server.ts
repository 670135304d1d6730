/**
 * The worker's HTTPS API (direct mode; port 5051 by default), served with the key pair
 * made at boot. Every route but `/v1/info` needs `Authorization: Bearer <query token>`,
 * verified with the control plane's public key from registration: no token, a token for
 * another cluster, an expired or forged one are refused. Errors have the control plane's
 * shape, `{ error: { code, message, details?, requestId } }`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ARROW_STREAM_CONTENT_TYPE,
  isQueryId,
  queryStatusQuerySchema,
  type WorkerInfo,
} from '@ferry/api';
import { MAX_PLAN_BYTES, newId } from '@ferry/core';
import { verifyQueryToken, type QueryTokenClaims } from '@ferry/core/query-token';
import type { ConnectionAccess } from './connection-scans.ts';
import { ConnectionSessionError } from './connection-sessions.ts';
import { QueryRefusedError, ResultUnavailableError, type QueryEngine } from './query-engine.ts';
import type { TlsIdentity } from './self-signed-cert.ts';

export interface QueryServerOptions {
  readonly engine: QueryEngine;
  readonly tls: TlsIdentity;
  readonly info: () => WorkerInfo;
  readonly clusterId: string;
  /** The control plane's public key (SPKI PEM); undefined until registered. */
  readonly publicKey: () => string | undefined;
  readonly now: () => number;
  readonly host: string;
  readonly port: number;
  /** Called for each request that carries a valid token (the node's activity). */
  readonly onClient?: () => () => void;
  readonly log?: (message: string) => void;
  /** The sessions of a direct-mode query's connections, proven with the client's token. */
  readonly connectionSessions?: (input: {
    queryId: string;
    names: readonly string[];
    queryToken: string;
  }) => Promise<ConnectionAccess[]>;
}

export interface QueryServer {
  readonly port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: { path: string; message: string }[] | undefined;
  constructor(
    status: number,
    code: string,
    message: string,
    details?: { path: string; message: string }[],
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const MAX_BODY_BYTES = MAX_PLAN_BYTES + 64 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(
        413,
        'payload_too_large',
        `The body is larger than ${MAX_BODY_BYTES} bytes.`,
      );
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'validation_failed', 'The body is not JSON.', [
      { path: 'body', message: 'must be JSON' },
    ]);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

export async function startQueryServer(options: QueryServerOptions): Promise<QueryServer> {
  const { engine } = options;

  const authenticate = (req: IncomingMessage): QueryTokenClaims & { token: string } => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (m?.[1] === undefined)
      throw new HttpError(
        401,
        'unauthenticated',
        'A query token is required (Authorization: Bearer ferry_qt_…).',
      );
    const key = options.publicKey();
    if (key === undefined)
      throw new HttpError(
        503,
        'not_ready',
        'The worker has not registered with its control plane yet.',
      );
    const result = verifyQueryToken(key, m[1], {
      clusterId: options.clusterId,
      nowSeconds: Math.floor(options.now() / 1000),
    });
    if (result.ok) return { ...result.claims, token: m[1] };
    if (result.refused === 'wrong_cluster')
      throw new HttpError(403, 'token_wrong_cluster', result.message);
    throw new HttpError(401, `token_${result.refused}`, result.message);
  };

  const record = (id: string | undefined) => {
    const r = id !== undefined && isQueryId(id) ? engine.get(id) : undefined;
    if (r === undefined) throw new HttpError(404, 'not_found', 'No such query on this worker.');
    return r;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://worker');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    if (req.method === 'GET' && url.pathname === '/v1/info') return send(res, 200, options.info());
    if (parts[0] !== 'v1' || parts[1] !== 'queries')
      throw new HttpError(404, 'not_found', 'No such route.');
    const claims = authenticate(req);
    const done = options.onClient?.();
    try {
      const id = parts[2];
      const sub = parts[3];
      if (req.method === 'POST' && parts.length === 2) {
        const body = await readJson(req);
        const envelope =
          typeof body === 'object' && body !== null
            ? (body as { envelope?: unknown }).envelope
            : undefined;
        if (envelope === undefined)
          throw new HttpError(400, 'validation_failed', 'The body needs an envelope.', [
            { path: 'body.envelope', message: 'is required' },
          ]);
        try {
          if (typeof envelope !== 'object' || envelope === null || !('connections' in envelope)) {
            const r = engine.submit({ envelope, actorId: claims.sub, mode: 'direct' });
            return send(res, 202, { queryId: r.queryId });
          }
          // Checked before the control plane is asked for anything.
          const checked = engine.check(envelope);
          if (checked instanceof QueryRefusedError) throw checked;
          const names = checked.connections ?? [];
          // The connections' sessions come before the query is accepted, so a caller who may
          // not use them hears the control plane's 403 (or 404) now, as in proxy mode.
          if (claims.useConnections !== true || options.connectionSessions === undefined)
            throw new HttpError(403, 'forbidden', 'Missing permission connections:use.');
          const queryId = newId('query');
          const connections = await options
            .connectionSessions({ queryId, names, queryToken: claims.token })
            .catch((e: unknown) => {
              if (e instanceof ConnectionSessionError && e.status >= 400 && e.status < 500)
                throw new HttpError(e.status, e.code, e.message);
              throw e;
            });
          const r = engine.submit({
            envelope,
            actorId: claims.sub,
            mode: 'direct',
            queryId,
            connections,
            queryToken: claims.token,
          });
          return send(res, 202, { queryId: r.queryId });
        } catch (e) {
          if (e instanceof QueryRefusedError)
            throw new HttpError(400, e.code, e.message, e.details);
          throw e;
        }
      }
      if (req.method === 'GET' && parts.length === 3) {
        const q = queryStatusQuerySchema.safeParse(Object.fromEntries(url.searchParams));
        if (!q.success)
          throw new HttpError(
            400,
            'validation_failed',
            'Bad query parameters.',
            q.error.issues.map((i) => ({ path: `query.${i.path.join('.')}`, message: i.message })),
          );
        const r = record(id);
        const waited = await engine.wait(r.queryId, (q.data.waitSeconds ?? 0) * 1000);
        return send(res, 200, engine.status(waited ?? r));
      }
      if (req.method === 'GET' && sub === 'head' && parts.length === 4) {
        const r = record(id);
        if (r.state !== 'Succeeded')
          throw new HttpError(
            409,
            'query_not_succeeded',
            `The query is ${r.state}; it has no head.`,
          );
        if (r.head === null)
          throw new HttpError(404, 'no_head', 'The query sank its result; it has no head.');
        res.writeHead(200, {
          'content-type': ARROW_STREAM_CONTENT_TYPE,
          'x-ferry-rows': String(r.headRows ?? 0),
        });
        res.end(Buffer.from(r.head.buffer, r.head.byteOffset, r.head.byteLength));
        return;
      }
      if (req.method === 'GET' && sub === 'result-urls' && parts.length === 4) {
        const r = record(id);
        // Waits for the result's write: the URLs must find the object.
        const urls = await engine.resultUrls(r.queryId).catch((e: unknown) => {
          if (e instanceof ResultUnavailableError) throw new HttpError(409, e.code, e.message);
          throw e;
        });
        if (urls === undefined)
          throw new HttpError(
            409,
            'query_not_succeeded',
            `The query is ${r.state}; it has no result.`,
          );
        return send(res, 200, urls);
      }
      if (req.method === 'POST' && sub === 'cancel' && parts.length === 4) {
        const r = engine.cancel(record(id).queryId);
        return send(res, 200, r === undefined ? null : engine.status(r));
      }
      if (req.method === 'GET' && sub === 'profile' && parts.length === 4) {
        return send(res, 200, record(id).profile);
      }
      throw new HttpError(404, 'not_found', 'No such route.');
    } finally {
      done?.();
    }
  };

  const server: Server = createServer(
    { key: options.tls.keyPem, cert: options.tls.certPem },
    (req, res) => {
      handle(req, res).catch((e: unknown) => {
        const requestId = randomUUID();
        if (e instanceof HttpError)
          return send(res, e.status, {
            error: {
              code: e.code,
              message: e.message,
              ...(e.details ? { details: e.details } : {}),
              requestId,
            },
          });
        options.log?.(
          `query API error ${requestId}: ${e instanceof Error ? e.message : String(e)}`,
        );
        send(res, 500, { error: { code: 'internal', message: 'Internal error.', requestId } });
      });
    },
  );
  server.on('clientError', (err, socket) => {
    options.log?.(`query API client error: ${err.message}`);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
