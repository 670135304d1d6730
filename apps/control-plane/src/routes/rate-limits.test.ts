/**
 * Rate limits an anonymous caller cannot escape. On every route (from the route table),
 * requests from one address that vary everything the caller chooses — ids, tokens, bodies,
 * credentials — run out of that address's budget. Logins are throttled per account with a
 * backoff that ends: the guesser's address waits, the owner elsewhere does not.
 */
import { randomBytes } from 'node:crypto';
import { contracts, type RouteName } from '@ferry/api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { PER_ADDRESS } from '../identity/login-throttle.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { createTestClock } from '../testing/test-clock.ts';
import { urlOf, sessionUser, TEST_PASSWORD } from './api-test-kit.ts';
import { EXAMPLE_BODIES } from './example-bodies.ts';
import type { FastifyInstance } from 'fastify';

const PER_MINUTE = 5;
const NODES_PER_ADDRESS = 8;
const clock = createTestClock();
const fresh = () => randomBytes(12).toString('hex');

/** The example body with every string replaced by a fresh value the caller chose. */
function varied(body: unknown): unknown {
  if (typeof body === 'string') return `${body}${fresh()}`;
  if (Array.isArray(body)) return body.map(varied);
  if (body !== null && typeof body === 'object')
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, varied(v)]));
  return body;
}

describeEachBackend(
  'rate limits by source address',
  (ctx) => {
    const apps: FastifyInstance[] = [];
    afterAll(async () => {
      for (const app of apps) await app.close();
    });

    it(
      'one address runs out of budget on every route, whatever else it varies',
      { timeout: 120_000 },
      async () => {
        for (const name of Object.keys(contracts) as RouteName[]) {
          // A fresh app: fresh budgets for each route.
          const app = await createApp(ctx().resources);
          apps.push(app);
          const c = contracts[name];
          const budget = c.path.includes('/nodes/') ? NODES_PER_ADDRESS : PER_MINUTE;
          const statuses: number[] = [];
          for (let i = 0; i <= budget; i++) {
            const params = Object.fromEntries(
              [...c.path.matchAll(/:([A-Za-z]+)/g)].map(([, k]) => [k!, fresh()]),
            );
            const body = EXAMPLE_BODIES[name];
            const res = await app.inject({
              method: c.method,
              url: urlOf(name, params),
              remoteAddress: '203.0.113.7',
              headers: {
                authorization: `Bearer ferry_pat_${fresh()}`,
                'x-ferry-node-token': `ferry_node_${fresh()}`,
                ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
              },
              ...(body !== undefined ? { payload: JSON.stringify(varied(body)) } : {}),
            });
            statuses.push(res.statusCode);
          }
          expect(statuses.slice(0, budget), name).not.toContain(429);
          expect(statuses[budget], `${name}: ${statuses.join(',')}`).toBe(429);
        }
      },
    );

    let app: FastifyInstance;
    beforeAll(async () => {
      app = await createApp(ctx().resources);
      apps.push(app);
    });

    it('throttles logins per account with a backoff that ends, and spares other addresses', async () => {
      const user = await sessionUser(app, ctx().resources);
      const login = (password: string, remoteAddress: string) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ email: user.email, password }),
        });
      // Spread over time so the address's request budget is not what stops them.
      for (let i = 0; i < PER_ADDRESS.free + 2; i++) {
        await clock.advance(60_000 / PER_MINUTE + 1);
        const res = await login('wrong password guess', '198.51.100.9');
        expect(res.statusCode).toBe(401);
      }
      // Backing off now: even the right password is refused from the guessing address…
      const held = await login(TEST_PASSWORD, '198.51.100.9');
      expect(held.statusCode).toBe(429);
      expect(Number(held.headers['retry-after'])).toBeGreaterThan(0);
      // …while the owner, elsewhere, signs in.
      expect((await login(TEST_PASSWORD, '192.0.2.44')).statusCode).toBe(200);
      // The wait ends.
      await clock.advance(Number(held.headers['retry-after']) * 1000 + 1);
      expect((await login(TEST_PASSWORD, '198.51.100.9')).statusCode).toBe(200);
    });
  },
  {
    clock,
    env: {
      FERRY_RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
      FERRY_RATE_LIMIT_NODES_PER_ADDRESS_PER_MINUTE: String(NODES_PER_ADDRESS),
    },
  },
);
