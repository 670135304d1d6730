/**
 * Direct mode: talks HTTPS to the cluster's worker, pinning its certificate. The worker's
 * key pair is generated at boot, so no CA vouches for it; the control plane does instead,
 * handing out the sha256 fingerprint of the certificate the worker registered with. Each
 * new connection completes the TLS handshake and checks the fingerprint before it writes
 * anything (so the token never reaches an impostor); a kept-alive connection is reused
 * only for the fingerprint it was checked against.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { FerryAuthError, FerryError, TlsPinError } from './errors.ts';

/** Where the worker is and how to prove it is the right one. */
export interface WorkerEndpoint {
  readonly address: string;
  readonly port: number;
  /** sha256 of the certificate's DER, hex. */
  readonly tlsFingerprint: string;
  /** The query token (Bearer). */
  readonly token: string;
}

/**
 * Connections kept alive to one worker (one per fingerprint): a query's submit, wait and
 * head reuse a handshake instead of paying one each. No TLS session resumption: a resumed
 * session may not present the certificate, and the pin needs it.
 */
export function workerAgent(): Agent {
  return new Agent({
    keepAlive: true,
    maxSockets: 16,
    maxFreeSockets: 4,
    maxCachedSessions: 0,
    // No CA signs a worker's boot-time certificate: the fingerprint check is the trust.
    rejectUnauthorized: false,
  });
}

/** Sockets whose certificate matched, with the fingerprint it matched. */
const pinned = new WeakMap<Socket, string>();

/** A worker's answer. */
export interface WorkerResponse {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string;
}

const normalise = (fp: string): string => fp.replaceAll(':', '').toLowerCase();

function pinError(endpoint: WorkerEndpoint, actual: string): TlsPinError {
  return new TlsPinError(
    `The worker at ${endpoint.address}:${endpoint.port} presented a certificate (sha256 ${actual || 'none'}) that is not the one the control plane vouched for (${normalise(endpoint.tlsFingerprint)}).`,
  );
}

/**
 * One request to the worker. Nothing is written (headers, token, body) until the TLS
 * handshake is done and the certificate's fingerprint matched.
 */
export function workerRequest(
  endpoint: WorkerEndpoint,
  method: 'GET' | 'POST',
  path: string,
  options: { json?: unknown; timeoutMs?: number; auth?: boolean; agent?: Agent } = {},
): Promise<WorkerResponse> {
  return attempt(endpoint, method, path, options).catch((err: unknown) => {
    // A kept-alive connection the worker closed as the request left: it never ran; again once.
    if ((err as { reusedSocketReset?: boolean }).reusedSocketReset === true)
      return attempt(endpoint, method, path, options);
    throw err;
  });
}

function attempt(
  endpoint: WorkerEndpoint,
  method: 'GET' | 'POST',
  path: string,
  options: { json?: unknown; timeoutMs?: number; auth?: boolean; agent?: Agent },
): Promise<WorkerResponse> {
  const payload =
    options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  const headers: Record<string, string> = {
    accept: 'application/json, application/vnd.apache.arrow.stream',
  };
  if (options.auth !== false) headers.authorization = `Bearer ${endpoint.token}`;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<WorkerResponse>((resolve, reject) => {
    const req = httpsRequest({
      method,
      path,
      host: endpoint.address,
      port: endpoint.port,
      headers,
      agent: options.agent ?? false,
      // No CA signs a worker's boot-time certificate: the fingerprint check below is the trust.
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    const expected = normalise(endpoint.tlsFingerprint);
    req.once('timeout', () =>
      req.destroy(
        new FerryError(
          'worker_unreachable',
          `The worker at ${endpoint.address}:${endpoint.port} did not answer within ${timeoutMs} ms.`,
          { retryable: true },
        ),
      ),
    );
    req.once('socket', (socket) => {
      const tls = socket as TLSSocket;
      // A kept-alive connection was checked when it was made, against this fingerprint or not.
      if (req.reusedSocket) {
        const checked = pinned.get(tls);
        if (checked === expected) req.end(payload);
        else req.destroy(pinError(endpoint, checked ?? ''));
        return;
      }
      tls.once('secureConnect', () => {
        const der = tls.getPeerCertificate(true).raw;
        const actual = der === undefined ? '' : createHash('sha256').update(der).digest('hex');
        if (actual !== expected) {
          req.destroy(pinError(endpoint, actual));
          return;
        }
        pinned.set(tls, actual);
        req.end(payload);
      });
    });
    req.once('error', (err: Error) => {
      if (req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
        reject(Object.assign(err, { reusedSocketReset: true }));
        return;
      }
      reject(
        err instanceof FerryError
          ? err
          : new FerryError(
              'worker_unreachable',
              `The worker request ${method} ${path} to ${endpoint.address}:${endpoint.port} failed: ${err.message}`,
              { retryable: true, cause: err },
            ),
      );
    });
    req.once('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          contentType: String(res.headers['content-type'] ?? ''),
        }),
      );
      res.once('error', reject);
    });
  });
}

/** The JSON body of a successful answer; a worker error becomes a typed error. */
export function workerJson<T>(res: WorkerResponse, what: string): T {
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new FerryError(
      'worker_bad_response',
      `${what}: the worker answered ${res.status} with a body that is not JSON.`,
    );
  }
  if (res.status >= 200 && res.status < 300) return body as T;
  const error = (body as { error?: { code?: string; message?: string } }).error;
  // Refused credentials or a missing permission, as the control plane's own answers are.
  if (res.status === 401 || res.status === 403)
    throw new FerryAuthError(
      error?.code ?? `worker_http_${res.status}`,
      `${what}: ${error?.message ?? `the worker answered ${res.status}`}`,
      { status: res.status },
    );
  throw new FerryError(
    error?.code ?? `worker_http_${res.status}`,
    `${what}: ${error?.message ?? `the worker answered ${res.status}`}`,
    { status: res.status, retryable: res.status >= 500 },
  );
}

/** The error code of a worker's error answer, if it has one. */
export function workerErrorCode(res: WorkerResponse): string | undefined {
  try {
    const body = JSON.parse(res.body.toString('utf8')) as { error?: { code?: unknown } };
    return typeof body.error?.code === 'string' ? body.error.code : undefined;
  } catch {
    return undefined;
  }
}
