import { expect, it } from 'vitest';
import { createApp } from './app.ts';
import { describeEachBackend } from './testing/backends.ts';
import { createLifecycle } from './ops/lifecycle.ts';

describeEachBackend(
  'ops endpoints',
  (ctx) => {
    it('answers /healthz', async () => {
      const app = await createApp(ctx().resources);
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
      await app.close();
    });

    it('is ready when the database answers and the schema is current, not while draining', async () => {
      const lifecycle = createLifecycle();
      const app = await createApp(ctx().resources, { lifecycle });
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'ready', database: 'ok', migrations: 'ok' });
      lifecycle.draining = true;
      const draining = await app.inject({ method: 'GET', url: '/readyz' });
      expect(draining.statusCode).toBe(503);
      expect(draining.json()).toMatchObject({ status: 'not_ready', draining: true });
      await app.close();
    });

    it('serves Prometheus metrics with request counts by route and status', async () => {
      const app = await createApp(ctx().resources);
      await app.inject({ method: 'GET', url: '/healthz' });
      await app.inject({ method: 'GET', url: '/no/such/route/123' });
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = res.body;
      expect(text).toMatch(
        /^http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+$/m,
      );
      expect(text).toMatch(
        /^http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m,
      );
      expect(text).toMatch(
        /^http_request_duration_seconds_bucket\{method="GET",route="\/healthz",status="200",le="\+Inf"\} \d+$/m,
      );
      expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
      expect(text).toMatch(/^process_cpu_seconds_total [\d.e+-]+$/m);
      expect(text).not.toContain('/no/such/route/123');
      await app.close();
    });

    it('echoes a valid x-request-id and replaces an invalid one', async () => {
      const app = await createApp(ctx().resources);
      const given = await app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { 'x-request-id': 'client-req.42' },
      });
      expect(given.headers['x-request-id']).toBe('client-req.42');
      const bad = await app.inject({
        method: 'GET',
        url: '/healthz',
        headers: { 'x-request-id': 'has spaces\tand tabs' },
      });
      expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const none = await app.inject({ method: 'GET', url: '/healthz' });
      expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      await app.close();
    });
  },
  { env: { FERRY_BODY_LIMIT_BYTES: '1024' } },
);

describeEachBackend(
  'request limits',
  (ctx) => {
    it('rejects a body over the limit with 413, never a 500', async () => {
      const app = await createApp(ctx().resources);
      app.post('/test/echo', (req, reply) => reply.send(req.body));
      const ok = await app.inject({
        method: 'POST',
        url: '/test/echo',
        payload: { a: 'x'.repeat(100) },
      });
      expect(ok.statusCode).toBe(200);
      const big = await app.inject({
        method: 'POST',
        url: '/test/echo',
        payload: { a: 'x'.repeat(2000) },
      });
      expect(big.statusCode).toBe(413);
      await app.close();
    });
  },
  { env: { FERRY_BODY_LIMIT_BYTES: '1024' } },
);
