/**
 * Serves the dashboard's built assets at `/`: files under the assets directory by path,
 * and `index.html` for every other page path so the dashboard's own router can answer it.
 * API, ops and OpenAPI paths are never shadowed. Hashed assets are cached for a year; the
 * page itself never is, so a new build is picked up at once.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

/** Paths that belong to the server, not the dashboard. */
const SERVER_PATHS = /^\/(api|healthz|readyz|metrics)(\/|$)/;

/** Only what the page needs: its own scripts, styles, fonts and API; nothing from elsewhere. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** True when the request is a browser navigation (it prefers an HTML page). */
export function wantsHtml(accept: string | undefined): boolean {
  return accept !== undefined && accept.split(',').some((p) => p.trim().startsWith('text/html'));
}

function send(reply: FastifyReply, path: string, body: Buffer, immutable: boolean) {
  return reply
    .header('content-type', TYPES[extname(path)] ?? 'application/octet-stream')
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', CSP)
    .header('referrer-policy', 'no-referrer')
    .send(body);
}

/**
 * Registers the dashboard on the app. Also sends a browser that opens the ops team's setup
 * link (an API URL) to the dashboard's page for it, so people get a page instead of JSON;
 * other clients keep getting the JSON.
 */
export async function registerDashboard(app: FastifyInstance, assetsDir: string): Promise<void> {
  const root = resolve(assetsDir);
  const indexPath = join(root, 'index.html');
  if (!(await isFile(indexPath))) {
    throw new Error(`The dashboard's assets are missing: no index.html in ${root}.`);
  }
  app.addHook('onRequest', async (request, reply) => {
    const url = new URL(request.url, 'http://localhost');
    if (
      request.method === 'GET' &&
      url.pathname === '/api/v1/aws-setup-link' &&
      wantsHtml(request.headers.accept)
    ) {
      const token = url.searchParams.get('token') ?? '';
      // The token moves to the fragment: the page reads it, and it is not sent again.
      return reply.redirect(`/ops-setup#token=${encodeURIComponent(token)}`, 303);
    }
    return undefined;
  });
  app.get('/*', async (request, reply) => {
    const pathname = decodeURIComponent(new URL(request.url, 'http://localhost').pathname);
    if (SERVER_PATHS.test(pathname)) {
      reply.callNotFound();
      return reply;
    }
    const candidate = resolve(root, `.${pathname}`);
    const inside = candidate === root || candidate.startsWith(root + sep);
    if (inside && candidate !== root && (await isFile(candidate))) {
      return send(reply, candidate, await readFile(candidate), pathname.startsWith('/assets/'));
    }
    // A missing asset is a 404; any other path is a page of the dashboard.
    if (pathname.startsWith('/assets/') || extname(pathname) !== '') {
      return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    }
    return send(reply, indexPath, await readFile(indexPath), false);
  });
}
