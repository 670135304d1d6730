/**
 * Installs the API on the app: error handling, the `/api/v1` routes (one per contract,
 * through one validation/authorization pipeline) and the OpenAPI document generated from
 * the same schemas.
 */
import { buildOpenApiDocument, contracts } from '@ferry/api';
import type { FastifyInstance } from 'fastify';
import type { Resources } from '../resources.ts';
import { apiRoutes } from '../routes/index.ts';
import { installErrorHandling } from './error-response.ts';
import { createRateLimiter } from './rate-limiter.ts';
import { registerRoutes } from './register-routes.ts';

/** Path of the OpenAPI document. */
export const OPENAPI_PATH = '/api/v1/openapi.json';

/** A route the API registered (for tests that walk every route). */
export interface InstalledRoute {
  readonly method: string;
  readonly url: string;
}

const installed = new WeakMap<FastifyInstance, InstalledRoute[]>();

/** The routes `installApi` registered on the app, as Fastify saw them. */
export function installedRoutes(app: FastifyInstance): readonly InstalledRoute[] {
  return installed.get(app) ?? [];
}

/** Registers every API route, its hooks and error handling. */
export async function installApi(app: FastifyInstance, resources: Resources): Promise<void> {
  const seen: InstalledRoute[] = [];
  installed.set(app, seen);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD') seen.push({ method, url: route.url });
    }
  });
  installErrorHandling(app);
  registerRoutes(app, resources, apiRoutes, {
    rateLimiter: createRateLimiter(resources.config.rateLimit.perMinute),
    nodeAddressLimiter: createRateLimiter(resources.config.rateLimit.nodesPerAddressPerMinute),
  });
  const document = buildOpenApiDocument(contracts, { title: 'ferry API', version: '1' });
  app.get(OPENAPI_PATH, () => Promise.resolve(document));
  await Promise.resolve();
}
