/**
 * localcloud's HTTP server: one endpoint for the admin API, the services' extra routes and
 * every AWS service.
 */
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RawRequest, RawResponse, ServiceDefinition } from './contract.ts';
import { handleAdminRequest } from './admin-api.ts';
import { handleAwsRequest } from './aws-gateway.ts';
import type { CloudInternals, CloudOptions } from './cloud.ts';
import { createCloud } from './cloud.ts';
import type { Logger } from './contract.ts';
import { createStateStore } from './state-store.ts';

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  stateDir?: string;
  services: ServiceDefinition[];
  log: Logger;
  /** Seed of the fault RNG (also settable with `POST /_localcloud/faults {"seed": n}`). */
  seed?: number;
  /** The clock (epoch ms); tests pass a controllable one. */
  now?: () => number;
  /** Told every authorization decision. */
  onAuthorization?: CloudOptions['onAuthorization'];
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  cloud: CloudInternals;
  stop(): Promise<void>;
}

async function readRequest(req: IncomingMessage): Promise<RawRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  }
  return {
    method: req.method ?? 'GET',
    path: q === -1 ? url : url.slice(0, q),
    query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
    headers,
    body: Buffer.concat(chunks),
    sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
  };
}

function send(res: ServerResponse, response: RawResponse): void {
  const body = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  const headers: Record<string, string | number> = { ...response.headers };
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-length'))
    headers['content-length'] = body.length;
  res.writeHead(response.status, headers);
  res.end(body);
}

/** Starts the server; resolves once it listens. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const store = createStateStore(options.stateDir);
  const cloud = createCloud({
    services: options.services,
    store,
    log: options.log,
    seed: options.seed,
    now: options.now,
    stateDir: options.stateDir,
    ...(options.onAuthorization ? { onAuthorization: options.onAuthorization } : {}),
  });
  const routes = options.services.flatMap((s) => s.routes ?? []);

  const dispatch = async (request: RawRequest): Promise<RawResponse> => {
    const admin = await handleAdminRequest(cloud, request);
    if (admin) return admin;
    const route = routes.find(
      (r) => r.method === request.method && request.path.startsWith(r.pathPrefix),
    );
    if (route) return route.handle(request, cloud);
    return handleAwsRequest(cloud, request);
  };

  const server = createHttpServer((req, res) => {
    readRequest(req)
      .then(dispatch)
      .then((response) => send(res, response))
      .catch((err: unknown) => {
        options.log.warn('request failed', { error: String((err as Error).stack ?? err) });
        if (!res.headersSent) send(res, { status: 500, headers: {}, body: 'internal error' });
        else res.destroy();
      });
  });
  server.keepAliveTimeout = 5_000;

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4566, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const url = `http://${hostForUrl}:${port}`;
  cloud.setBaseUrl(host, url);

  const started: ServiceDefinition[] = [];
  try {
    for (const service of options.services) {
      await service.start?.(cloud);
      started.push(service);
    }
  } catch (err) {
    server.close();
    for (const s of started.reverse()) await s.stop?.();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const service of [...options.services].reverse()) {
        try {
          await service.stop?.();
        } catch (err) {
          options.log.warn('service stop failed', { service: service.name, error: String(err) });
        }
      }
      store.flush();
      await closed;
    })();
    return stopping;
  };
  return { url, host, port, cloud, stop };
}
