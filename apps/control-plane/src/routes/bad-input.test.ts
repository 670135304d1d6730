/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call --
   Raw response bodies are untyped JSON on purpose: these tests also send and read what the contracts forbid. */
/**
 * Property-based: bad input to every route — unknown fields, wrong types, missing fields,
 * non-object and non-JSON bodies, oversized bodies, malformed ids, bad query parameters —
 * always gets a 4xx in the API's error shape naming the field, never a 500.
 */
import { contracts, type RouteContract, type RouteName } from '@ferry/api';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../app.ts';
import { describeEachBackend } from '../testing/backends.ts';
import {
  injectCall,
  sessionUser,
  type TestCall,
  type TestCaller,
  type TestResponse,
} from './api-test-kit.ts';
import { EXAMPLE_BODIES } from './example-bodies.ts';

const NAMES = Object.keys(contracts) as RouteName[];
const contractOf = (name: RouteName): RouteContract => contracts[name];
/** Generated cases per route and property (each `fc.assert` runs this many that pass `fc.pre`). */
const RUNS = 15;
const BODY_LIMIT = 4096;

function shapeOf(schema: unknown): Record<string, z.ZodType> {
  return schema instanceof z.ZodObject ? schema.shape : {};
}

function expectNamedError(res: TestResponse, path: string, label: string): void {
  expect(res.status, `${label}: ${res.raw.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${label}: ${res.raw.slice(0, 300)}`).toBeLessThan(500);
  expect(typeof res.body?.error?.code, label).toBe('string');
  expect(typeof res.body?.error?.requestId, label).toBe('string');
  const paths: string[] = (res.body.error.details ?? []).map((d: { path: string }) => d.path);
  expect(
    paths.some((p) => p === path || p.startsWith(`${path}.`)),
    `${label}: expected a detail naming ${path}, got ${JSON.stringify(paths)}`,
  ).toBe(true);
}

describeEachBackend(
  'bad input to every route',
  (ctx) => {
    let app: FastifyInstance;
    let owner: TestCaller;
    const ids: Record<string, string> = {};
    // The walk counts what it really sent, prints it, and cannot pass having sent less.
    let cases = 0;
    let properties = 0;
    const walk = async (property: Parameters<typeof fc.assert>[0]) => {
      properties++;
      await fc.assert(property, { numRuns: RUNS });
    };

    beforeAll(async () => {
      app = await createApp(ctx().resources);
      owner = await sessionUser(app, ctx().resources, { instanceAdmin: true });
      const org = await owner.call('orgs.create', { body: { name: 'Fuzz' } });
      const ws = await owner.call('workspaces.create', {
        params: { orgId: org.body.id },
        body: { name: 'fuzz' },
      });
      Object.assign(ids, {
        orgId: org.body.id,
        workspaceId: ws.body.id,
        userId: owner.userId,
        tokenId: 'tok_00000000000000000000000000',
        serviceAccountId: 'sa_00000000000000000000000000',
        invitationId: 'inv_00000000000000000000000000',
        clusterId: 'cl_00000000000000000000000000',
        queryId: 'qry_00000000000000000000000000',
        ingestionId: 'ing_00000000000000000000000000',
        name: 'fuzz-manifest',
        connectionName: 'fuzz-conn',
      });
    });
    afterAll(async () => {
      await app?.close();
      console.log(
        `bad-input walk: ${cases} generated cases over ${NAMES.length} routes (${properties} properties × ${RUNS})`,
      );
      expect(cases).toBeGreaterThanOrEqual(properties * RUNS);
    });

    function validParams(name: RouteName): Record<string, string> {
      const params: Record<string, string> = {};
      for (const [, key] of contracts[name].path.matchAll(/:([A-Za-z]+)/g))
        params[key!] = ids[key!]!;
      return params;
    }

    const send = (name: RouteName, input: TestCall) =>
      injectCall(app, name, owner.headers, { params: validParams(name), ...input });

    it('unknown body fields are rejected by name', { timeout: 180_000 }, async () => {
      for (const name of NAMES.filter((n) => 'body' in contracts[n])) {
        const shape = shapeOf(contractOf(name).body);
        await walk(
          fc.asyncProperty(
            fc
              .stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,20}$/)
              .filter((k) => !(k in shape) && k !== '__proto__'),
            fc.jsonValue(),
            async (key, value) => {
              // Prototype-poisoning keys are refused by the JSON parser itself (on `body`).
              fc.pre(!JSON.stringify(value).includes('__proto__'));
              const body = { ...(EXAMPLE_BODIES[name] as object), [key]: value };
              cases++;
              expectNamedError(await send(name, { body }), `body.${key}`, `${name} +${key}`);
            },
          ),
        );
      }
    });

    it('wrong types and missing fields are rejected by name', { timeout: 180_000 }, async () => {
      for (const name of NAMES.filter((n) => 'body' in contracts[n])) {
        const schema = contractOf(name).body as z.ZodType;
        const example = EXAMPLE_BODIES[name] as Record<string, unknown>;
        const keys = Object.keys(example);
        await walk(
          fc.asyncProperty(fc.constantFrom(...keys), fc.jsonValue(), async (key, value) => {
            fc.pre(!JSON.stringify(value).includes('__proto__'));
            const body = { ...example, [key]: value };
            fc.pre(!schema.safeParse(body).success);
            cases++;
            expectNamedError(
              await send(name, { body }),
              `body.${key}`,
              `${name}.${key}=${JSON.stringify(value)}`,
            );
          }),
        );
        for (const key of keys) {
          const { [key]: _dropped, ...rest } = example;
          if (schema.safeParse(rest).success) continue;
          // An update left with no field at all is refused as a whole.
          const path = Object.keys(rest).length === 0 ? 'body' : `body.${key}`;
          expectNamedError(await send(name, { body: rest }), path, `${name} without ${key}`);
        }
      }
    });

    it(
      'bodies that are not objects, not JSON, or too large are rejected',
      { timeout: 180_000 },
      async () => {
        for (const name of NAMES.filter((n) => 'body' in contracts[n])) {
          await walk(
            fc.asyncProperty(
              fc.oneof(
                fc.array(fc.jsonValue()),
                fc.integer(),
                fc.string(),
                fc.constant(null),
                fc.boolean(),
              ),
              async (value) => {
                cases++;
                expectNamedError(
                  await send(name, { body: JSON.stringify(value) }),
                  'body',
                  `${name} body=${JSON.stringify(value)}`,
                );
              },
            ),
          );
          expectNamedError(
            await send(name, { body: '{"name": ' }),
            'body',
            `${name} truncated JSON`,
          );
          const huge = JSON.stringify({ name: 'x'.repeat(BODY_LIMIT + 10) });
          const res = await send(name, { body: huge });
          expect(res.status, name).toBe(413);
          expectNamedError(res, 'body', `${name} oversized`);
        }
      },
    );

    it('malformed ids in the path are rejected by name', { timeout: 180_000 }, async () => {
      for (const name of NAMES.filter((n) => 'params' in contracts[n])) {
        const keys = Object.keys(validParams(name));
        await walk(
          fc.asyncProperty(
            fc.constantFrom(...keys),
            fc.oneof(
              fc.string({ minLength: 1, maxLength: 40 }),
              fc.constantFrom('org_', 'ws_x', 'usr_ABC', '../etc', 'null'),
            ),
            async (key, bad) => {
              const schema = shapeOf(contractOf(name).params)[key]!;
              // "." and ".." are dot segments: URL resolution removes them (RFC 3986 §5.2.4),
              // so no client can send them as a path parameter.
              fc.pre(bad !== '.' && bad !== '..');
              fc.pre(bad.trim() !== '' && !schema.safeParse(bad).success);
              cases++;
              const input = {
                params: { ...validParams(name), [key]: bad },
                body: EXAMPLE_BODIES[name],
              };
              const res = await injectCall(app, name, owner.headers, input);
              expectNamedError(res, `params.${key}`, `${name} ${key}=${JSON.stringify(bad)}`);
            },
          ),
        );
      }
    });

    it('bad query parameters are rejected by name', { timeout: 180_000 }, async () => {
      for (const name of NAMES.filter((n) => 'query' in contracts[n])) {
        const shape = shapeOf(contractOf(name).query);
        await walk(
          fc.asyncProperty(
            fc.oneof(
              fc.record({
                key: fc.constant('limit'),
                value: fc.oneof(
                  fc.integer({ min: 101 }),
                  fc.integer({ max: 0 }),
                  fc.constantFrom('ten', '1.5', ''),
                ),
              }),
              fc.record({
                key: fc.constant('cursor'),
                value: fc.string({ minLength: 1, maxLength: 30 }),
              }),
              fc.record({
                key: fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,15}$/).filter((k) => !(k in shape)),
                value: fc.string({ maxLength: 10 }),
              }),
            ),
            async ({ key, value }) => {
              // Some routes allow larger pages (log lines): only limits they refuse count.
              fc.pre(!(shape[key]?.safeParse(String(value)).success ?? false));
              cases++;
              const res = await send(name, { query: { [key]: value } });
              expectNamedError(res, `query.${key}`, `${name} ?${key}=${String(value)}`);
            },
          ),
        );
      }
    });
  },
  { env: { FERRY_RATE_LIMIT_PER_MINUTE: '1000000', FERRY_BODY_LIMIT_BYTES: String(BODY_LIMIT) } },
);
