/* eslint-disable @typescript-eslint/no-unsafe-member-access --
   Raw response bodies are untyped JSON on purpose. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { registerDashboard, wantsHtml } from './serve-dashboard.ts';

describe('wantsHtml', () => {
  it('is true for a browser navigation only', () => {
    expect(wantsHtml('text/html,application/xhtml+xml,*/*;q=0.8')).toBe(true);
    expect(wantsHtml('*/*')).toBe(false);
    expect(wantsHtml('application/json')).toBe(false);
    expect(wantsHtml(undefined)).toBe(false);
  });
});

describeEachBackend('dashboard assets', (ctx) => {
  let app: FastifyInstance;
  let dir: string;
  let outside: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-dash-'));
    outside = `${dir}-secret.txt`;
    await writeFile(outside, 'not for the web');
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>ferry</title>');
    await writeFile(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
    await writeFile(
      join(dir, 'assets', 'inter-latin.woff2'),
      Buffer.from([0x77, 0x4f, 0x46, 0x32]),
    );
    app = await createApp(ctx().resources, { dashboardDir: dir });
  });
  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { force: true });
  });

  it('serves the page for every dashboard path, never cached, with a same-origin policy', async () => {
    for (const url of ['/', '/setup', '/workspaces/ws_x/clusters', '/invitations']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.body).toContain('<title>ferry</title>');
    }
  });

  it('serves hashed assets with their type, cached for good', async () => {
    const js = await app.inject({ url: '/assets/index-abc.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    const font = await app.inject({ url: '/assets/inter-latin.woff2' });
    expect(font.headers['content-type']).toBe('font/woff2');
  });

  it('answers 404 for a missing asset and never leaves its directory', async () => {
    expect((await app.inject({ url: '/assets/missing.js' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/favicon.ico' })).statusCode).toBe(404);
    for (const url of [
      `/../${outside.split('/').at(-1)!}`,
      `/%2e%2e/${outside.split('/').at(-1)!}`,
      '/assets/..%2f..%2fetc%2fpasswd',
    ]) {
      const res = await app.inject({ url });
      expect(res.body, url).not.toContain('not for the web');
      expect(res.body, url).not.toContain('root:');
    }
  });

  it('leaves the API, ops and OpenAPI paths to the server', async () => {
    const missing = await app.inject({ url: '/api/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('route_not_found');
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/api/v1/openapi.json' })).headers['content-type']).toContain(
      'application/json',
    );
  });

  it("sends a browser opening the ops team's setup link to the dashboard's page for it", async () => {
    const token = 'ferry_setup_abcdefghijklmnopqrstuvwxyz';
    const browser = await app.inject({
      url: `/api/v1/aws-setup-link?token=${token}`,
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(browser.statusCode).toBe(303);
    expect(browser.headers.location).toBe(`/ops-setup#token=${token}`);
    // Any other client still gets the API's JSON (here: the unknown token's 404).
    const json = await app.inject({ url: `/api/v1/aws-setup-link?token=${token}` });
    expect(json.headers['content-type']).toContain('application/json');
    expect(json.statusCode).toBe(404);
  });

  it('refuses to start without the built assets', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'ferry-dash-empty-'));
    try {
      const bare = await createApp(ctx().resources);
      await expect(registerDashboard(bare, empty)).rejects.toThrow('no index.html');
      await bare.close();
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
