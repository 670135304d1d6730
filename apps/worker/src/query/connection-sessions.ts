/**
 * The worker's request for a query's data-connection sessions
 * (`POST /api/v1/nodes/queries/:queryId/connections`, node token), proving the actor with
 * the client's query token in direct mode. The control plane's refusal keeps its status and
 * code, so a direct-mode client hears the same 403 or 404 a proxy submission would get.
 */
import { connectionGrantAnswerSchema, workerWireContracts } from '@ferry/api';
import { NODE_TOKEN_HEADER } from '../control-plane-client.ts';
import type { ConnectionAccess } from './connection-scans.ts';

/** The control plane refused or failed the request. */
export class ConnectionSessionError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface ConnectionSessionLink {
  readonly baseUrl: string;
  readonly nodeToken: () => string | undefined;
  readonly timeoutMs?: number;
}

/** Fetches the sessions of `names` for the query. */
export async function fetchConnectionSessions(
  link: ConnectionSessionLink,
  input: { queryId: string; names: readonly string[]; queryToken?: string },
): Promise<ConnectionAccess[]> {
  const token = link.nodeToken();
  if (token === undefined)
    throw new ConnectionSessionError(503, 'not_ready', 'The worker has not registered yet.');
  const path = workerWireContracts['nodes.queries.connections'].path.replace(
    ':queryId',
    encodeURIComponent(input.queryId),
  );
  const res = await fetch(`${link.baseUrl}${path}`, {
    method: 'POST',
    headers: { [NODE_TOKEN_HEADER]: token, 'content-type': 'application/json' },
    body: JSON.stringify({
      connections: input.names,
      ...(input.queryToken === undefined ? {} : { queryToken: input.queryToken }),
    }),
    signal: AbortSignal.timeout(link.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  if (!res.ok) {
    let error: { code?: string; message?: string } = {};
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
    } catch {
      // not the control plane's error shape
    }
    throw new ConnectionSessionError(
      res.status,
      error.code ?? 'connection_unavailable',
      error.message ?? `The control plane answered ${res.status}.`,
    );
  }
  const answer = connectionGrantAnswerSchema.parse(JSON.parse(text));
  return answer.connections.map((c) => ({
    name: c.name,
    bucket: c.bucket,
    prefix: c.prefix,
    region: c.region,
    credentials: {
      accessKeyId: c.credentials.accessKeyId,
      secretAccessKey: c.credentials.secretAccessKey,
      ...(c.credentials.sessionToken === undefined
        ? {}
        : { sessionToken: c.credentials.sessionToken }),
      ...(c.credentials.expiration === undefined
        ? {}
        : { expiration: Date.parse(c.credentials.expiration) }),
    },
  }));
}
