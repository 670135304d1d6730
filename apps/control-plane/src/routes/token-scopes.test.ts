/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-call --
   Raw response bodies are untyped JSON on purpose. */
/**
 * Walks every route the API registered with scoped tokens of the route's own caller: a
 * personal token and a service account holding every scope but the one the route needs
 * must be refused (403 naming it) on every route, even though the caller's role would
 * allow it. Generated from the route table, so a new route is walked without a test edit,
 * and a route that accepts tokens without stating what they need fails here (and does not
 * type-check, see `RouteAccess`).
 */
import { contracts, type RouteName } from '@ferry/api';
import { PERMISSIONS, SERVICE_ACCOUNT_PERMISSIONS, type Permission } from '@ferry/core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { acceptsCaller, OWN_CREDENTIAL, type AnyRouteDefinition } from '../http/define-route.ts';
import { OPENAPI_PATH, installedRoutes } from '../http/install.ts';
import { insertCluster, recordNode } from '../compute/cluster-fixture.ts';
import { insertQuery } from '../queries/query-fixture.ts';
import { insertIngestion } from '../ingest/ingestion-fixture.ts';
import { describeEachBackend } from '../testing/backends.ts';
import {
  bearerCaller,
  injectCall,
  sessionUser,
  tokenCaller,
  type TestCall,
  type TestCaller,
} from './api-test-kit.ts';
import { EXAMPLE_BODIES, EXAMPLE_QUERIES } from './example-bodies.ts';
import { apiRoutes } from './index.ts';

const without = <T>(all: readonly T[], one: T): T[] => all.filter((x) => x !== one);

function definitionOf(name: RouteName): AnyRouteDefinition {
  const d = apiRoutes.find((r) => r.name === name);
  if (d === undefined) throw new Error(`no definition for ${name}`);
  return d;
}

const acceptsTokens = (d: AnyRouteDefinition): boolean =>
  acceptsCaller(d, 'personal-token') || acceptsCaller(d, 'service-account');

it('every route that accepts tokens states what a scoped token needs', () => {
  const unstated = apiRoutes.filter((d) => acceptsTokens(d) && d.permission === null);
  expect(unstated.map((d) => d.name)).toEqual([]);
  // Routes any credential may call whatever its scopes: only "who am I".
  expect(apiRoutes.filter((d) => d.permission === OWN_CREDENTIAL).map((d) => d.name)).toEqual([
    'auth.me',
  ]);
});

describeEachBackend('token scopes on every route', (ctx) => {
  let app: FastifyInstance;
  let owner: TestCaller;
  const ids: Record<string, string> = {};
  let serviceAccountWith: (scopes: readonly Permission[]) => Promise<TestCaller>;

  beforeAll(async () => {
    const { resources } = ctx();
    app = await createApp(resources);
    // An instance admin who owns everything: only the token's scopes can refuse it.
    owner = await sessionUser(app, resources, { instanceAdmin: true });
    const org = await owner.call('orgs.create', { body: { name: 'Scopes' } });
    const ws = await owner.call('workspaces.create', {
      params: { orgId: org.body.id },
      body: { name: 'scopes-ws' },
    });
    const inv = await owner.call('orgs.invitations.create', {
      params: { orgId: org.body.id },
      body: { email: 'invitee@example.com', role: 'member' },
    });
    const pat = await owner.call('tokens.create', {
      body: { name: 'own', scopes: ['org:read'], expiresInDays: 1 },
    });
    const sa = await owner.call('serviceAccounts.create', {
      params: { workspaceId: ws.body.id },
      body: { name: 'sa' },
    });
    await owner.call('manifests.put', {
      params: { workspaceId: ws.body.id, name: 'scopes-manifest' },
      body: { cpus: 4, memory: 16 },
    });
    const { cluster } = await insertCluster(resources, {
      workspaceId: ws.body.id,
      orgId: org.body.id,
      manifest: 'scopes-manifest',
    });
    await recordNode(resources, cluster);
    const queryId = await insertQuery(resources, cluster);
    const ingestionId = await insertIngestion(resources, cluster);
    Object.assign(ids, {
      orgId: org.body.id,
      workspaceId: ws.body.id,
      userId: owner.userId,
      invitationId: inv.body.invitation.id,
      tokenId: pat.body.token.id,
      serviceAccountId: sa.body.clientId,
      clusterId: cluster.id,
      name: 'scopes-manifest',
      queryId,
      ingestionId,
      connectionName: 'scopes-conn',
    });
    serviceAccountWith = async (scopes) => {
      const created = await owner.call('serviceAccounts.create', {
        params: { workspaceId: ws.body.id },
        body: { name: 'scoped', scopes },
      });
      expect(created.status, created.raw).toBe(201);
      const exchanged = await injectCall(
        app,
        'auth.token',
        {},
        {
          body: {
            grant_type: 'client_credentials',
            client_id: created.body.clientId,
            client_secret: created.body.clientSecret,
          },
        },
      );
      return bearerCaller(app, exchanged.body.access_token);
    };
  });
  afterAll(async () => {
    await app?.close();
  });

  function inputFor(name: RouteName): TestCall {
    const params: Record<string, string> = {};
    for (const [, key] of contracts[name].path.matchAll(/:([A-Za-z]+)/g)) {
      const value = ids[key as string];
      if (value === undefined) throw new Error(`no id for :${key}`);
      params[key as string] = value;
    }
    const body = EXAMPLE_BODIES[name];
    const query = EXAMPLE_QUERIES[name];
    return {
      params,
      ...(body !== undefined ? { body } : {}),
      ...(query !== undefined ? { query } : {}),
    };
  }

  function walkedNames(): RouteName[] {
    const names: RouteName[] = [];
    for (const r of installedRoutes(app)) {
      if (r.url === OPENAPI_PATH) continue;
      const name = (Object.keys(contracts) as RouteName[]).find(
        (n) => contracts[n].method === r.method && contracts[n].path === r.url,
      );
      if (name === undefined) throw new Error(`unknown route ${r.method} ${r.url}`);
      names.push(name);
    }
    expect(names.length).toBe(Object.keys(contracts).length);
    return names;
  }

  it(
    'a token without the needed scope is refused 403 on every route that takes tokens',
    { timeout: 180_000 },
    async () => {
      const { resources } = ctx();
      let refused = 0;
      for (const name of walkedNames()) {
        const d = definitionOf(name);
        const need = d.permission;
        if (need === null || need === OWN_CREDENTIAL) continue;
        if (acceptsCaller(d, 'personal-token')) {
          const token = await tokenCaller(app, resources, owner, without(PERMISSIONS, need));
          const res = await token.call(name, inputFor(name));
          const label = `personal token without ${need} → ${name} (${res.status}: ${res.raw.slice(0, 200)})`;
          expect(res.status, label).toBe(403);
          expect(res.body.error.message, label).toContain(need);
          refused += 1;
        }
        if (acceptsCaller(d, 'service-account')) {
          const sa = await serviceAccountWith(without(SERVICE_ACCOUNT_PERMISSIONS, need));
          const res = await sa.call(name, inputFor(name));
          const label = `service account without ${need} → ${name} (${res.status}: ${res.raw.slice(0, 200)})`;
          expect(res.status, label).toBe(403);
          refused += 1;
        }
      }
      expect(refused).toBeGreaterThan(0);
    },
  );

  it('routes that do not take tokens refuse a token with every scope', async () => {
    const { resources } = ctx();
    const token = await tokenCaller(app, resources, owner, PERMISSIONS);
    for (const name of walkedNames()) {
      const d = definitionOf(name);
      if (d.callers.length === 0 || acceptsCaller(d, 'personal-token')) continue;
      const res = await token.call(name, inputFor(name));
      expect(res.status, `${name}: ${res.raw.slice(0, 200)}`).toBe(403);
    }
  });

  it('a compute:read token cannot create organizations or touch the owner’s tokens', async () => {
    const { resources } = ctx();
    const token = await tokenCaller(app, resources, owner, ['compute:read']);
    const created = await token.call('orgs.create', { body: { name: 'Sneaky' } });
    expect(created.status).toBe(403);
    expect((await token.call('orgs.list')).status).toBe(403);
    expect((await token.call('tokens.list')).status).toBe(403);
    const revoked = await token.call('tokens.revoke', { params: { tokenId: ids.tokenId! } });
    expect(revoked.status).toBe(403);
    expect((await token.call('users.me')).status).toBe(403);
    const joined = await token.call('invitations.accept', { body: { token: 'ferry_inv_x' } });
    expect(joined.status).toBe(403);
    const orgs = await owner.call('orgs.list');
    expect(orgs.body.items.map((o: { name: string }) => o.name)).not.toContain('Sneaky');
    const tokens = await owner.call('tokens.list');
    expect(tokens.body.items.every((t: { revokedAt: unknown }) => t.revokedAt === null)).toBe(true);
    // "Who am I" describes the credential itself: any token may ask.
    const me = await token.call('auth.me');
    expect(me.status).toBe(200);
    expect(me.body.scopes).toEqual(['compute:read']);
  });

  it('a token holding the account scopes may use them', async () => {
    const { resources } = ctx();
    const token = await tokenCaller(app, resources, owner, [
      'orgs:create',
      'account:read',
      'account:manage',
    ]);
    expect((await token.call('orgs.create', { body: { name: 'Allowed' } })).status).toBe(201);
    expect((await token.call('tokens.list')).status).toBe(200);
    expect((await token.call('users.me')).status).toBe(200);
    const other = await owner.call('tokens.create', {
      body: { name: 'to-revoke', scopes: ['org:read'], expiresInDays: 1 },
    });
    const revoked = await token.call('tokens.revoke', {
      params: { tokenId: other.body.token.id },
    });
    expect(revoked.status).toBe(204);
  });
});
