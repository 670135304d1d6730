/**
 * Builds the control plane's Fastify instance: request ids, redacted request logging, body
 * limit, metrics, the ops endpoints, then the API (`installApi`, owned by the HTTP layer).
 * It does not listen; `server.ts` does, and tests use `app.inject()`.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerWorkerBundleRoute } from './compute/worker-bundle-route.ts';
import { registerDashboard } from './dashboard/serve-dashboard.ts';
import { installApi } from './http/install.ts';
import { registerHttpMetrics } from './ops/http-metrics.ts';
import { createLifecycle, type Lifecycle } from './ops/lifecycle.ts';
import { registerOpsRoutes } from './ops/ops-routes.ts';
import { attachQueryBus } from './queries/query-bus.ts';
import type { Resources } from './resources.ts';

/** Request ids a client may choose; anything else is replaced with a fresh one. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  /** Shared with the server so `/readyz` reports draining during shutdown. */
  lifecycle?: Lifecycle;
  /** The dashboard's built assets, served at `/` (none when absent). */
  dashboardDir?: string;
}

/** Creates the app with every route registered (not listening; `inject()` works at once). */
export async function createApp(
  resources: Resources,
  options: CreateAppOptions = {},
): Promise<FastifyInstance> {
  const lifecycle = options.lifecycle ?? createLifecycle();
  const app = Fastify({
    // Typed as Fastify's base logger so every plugin sees the default instance type.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: resources.log as FastifyBaseLogger,
    bodyLimit: resources.config.http.bodyLimitBytes,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Idle keep-alive sockets close at shutdown; in-flight requests still finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    trustProxy: false,
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerHttpMetrics(app, resources.metrics);
  registerOpsRoutes(app, resources, lifecycle);
  // Binary and for machines only, so outside the JSON API (see the route's comment).
  registerWorkerBundleRoute(app, resources);
  await installApi(app, resources);
  // Query signals cross replicas; the listening connection closes with the app.
  const bus = attachQueryBus(resources);
  app.addHook('onClose', () => bus.close());
  if (options.dashboardDir !== undefined) await registerDashboard(app, options.dashboardDir);
  return app;
}
