/**
 * Direct mode: talks HTTPS to the cluster's worker, pinning its certificate. The worker's
 * key pair is generated at boot, so no CA vouches for it; the control plane does instead,
 * handing out the sha256 fingerprint of the certificate the worker registered with. Each
 * request first completes a TLS handshake, checks the fingerprint and only then sends the
 * request (and the token) over that socket.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { FerryError, TlsPinError } from './errors.ts';

/** Where the worker is and how to prove it is the right one. */
export interface WorkerEndpoint {
  readonly address: string;
  readonly port: number;
  /** sha256 of the certificate's DER, hex. */
  readonly tlsFingerprint: string;
  /** The query token (Bearer). */
  readonly token: string;
}

/** A worker's answer. */
export interface WorkerResponse {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string;
}

const normalise = (fp: string): string => fp.replaceAll(':', '').toLowerCase();

function pinnedSocket(endpoint: WorkerEndpoint, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: endpoint.address,
      port: endpoint.port,
      // No CA signs a worker's boot-time certificate: the fingerprint check below is the trust.
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new FerryError(
          'worker_unreachable',
          `The worker at ${endpoint.address}:${endpoint.port} did not answer within ${timeoutMs} ms.`,
          { retryable: true },
        ),
      );
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const der = socket.getPeerCertificate(true).raw;
      const actual = der === undefined ? '' : createHash('sha256').update(der).digest('hex');
      if (actual !== normalise(endpoint.tlsFingerprint)) {
        socket.destroy();
        reject(
          new TlsPinError(
            `The worker at ${endpoint.address}:${endpoint.port} presented a certificate (sha256 ${actual || 'none'}) that is not the one the control plane vouched for (${normalise(endpoint.tlsFingerprint)}).`,
          ),
        );
        return;
      }
      resolve(socket);
    });
    socket.once('error', (err: Error) => {
      clearTimeout(timer);
      reject(
        new FerryError(
          'worker_unreachable',
          `The worker at ${endpoint.address}:${endpoint.port} could not be reached: ${err.message}`,
          { retryable: true, cause: err },
        ),
      );
    });
  });
}

/** One request to the worker over a pinned TLS connection. */
export async function workerRequest(
  endpoint: WorkerEndpoint,
  method: 'GET' | 'POST',
  path: string,
  options: { json?: unknown; timeoutMs?: number; auth?: boolean } = {},
): Promise<WorkerResponse> {
  const socket = await pinnedSocket(endpoint, options.timeoutMs ?? 30_000);
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
  return new Promise<WorkerResponse>((resolve, reject) => {
    const req = httpRequest({
      method,
      path,
      host: endpoint.address,
      port: endpoint.port,
      headers,
      agent: false,
      createConnection: () => socket,
    });
    req.once('error', (err) => {
      socket.destroy();
      reject(
        new FerryError(
          'worker_unreachable',
          `The worker request ${method} ${path} failed: ${err.message}`,
          {
            retryable: true,
            cause: err,
          },
        ),
      );
    });
    req.once('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => {
        socket.destroy();
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          contentType: String(res.headers['content-type'] ?? ''),
        });
      });
      res.once('error', reject);
    });
    req.end(payload);
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
  throw new FerryError(
    error?.code ?? `worker_http_${res.status}`,
    `${what}: ${error?.message ?? `the worker answered ${res.status}`}`,
    { status: res.status, retryable: res.status >= 500 },
  );
}
