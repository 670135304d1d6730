/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument --
   Raw response bodies are untyped JSON on purpose: these tests also send and read what the contracts forbid. */
/**
 * Walks every route the API registered (as Fastify saw them) with principals from another
 * organization — a session, a personal token with every scope, and another workspace's
 * service account — using the real ids of a victim organization. Scoped routes must answer
 * 404 (or 403), no response may contain any of the victim's ids, and nothing of the victim
 * may change. Anonymous callers get 401 everywhere but on public routes.
 */
import { contracts, type RouteContract, type RouteName } from '@ferry/api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { OPENAPI_PATH, installedRoutes } from '../http/install.ts';
import { apiRoutes } from './index.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { insertCluster, recordNode } from '../compute/cluster-fixture.ts';
import { insertQuery } from '../queries/query-fixture.ts';
import { insertIngestion } from '../ingest/ingestion-fixture.ts';
import { EXAMPLE_BODIES, EXAMPLE_QUERIES } from './example-bodies.ts';
import {
  bearerCaller,
  injectCall,
  sessionUser,
  tokenCaller,
  type TestCall,
  type TestCaller,
} from './api-test-kit.ts';

const PUBLIC_PATHS = new Set([OPENAPI_PATH]);

describeEachBackend('cross-tenant route walk', (ctx) => {
  let app: FastifyInstance;
  let owner: TestCaller;
  const victim: Record<string, string> = {};
  let foreign: { name: string; caller: TestCaller }[];

  beforeAll(async () => {
    const { resources } = ctx();
    app = await createApp(resources);
    owner = await sessionUser(app, resources);
    const org = await owner.call('orgs.create', { body: { name: 'Victim' } });
    const ws = await owner.call('workspaces.create', {
      params: { orgId: org.body.id },
      body: { name: 'secret-ws' },
    });
    const sa = await owner.call('serviceAccounts.create', {
      params: { workspaceId: ws.body.id },
      body: { name: 'sa' },
    });
    const inv = await owner.call('orgs.invitations.create', {
      params: { orgId: org.body.id },
      body: { email: 'invitee@example.com', role: 'member' },
    });
    const pat = await owner.call('tokens.create', {
      body: { name: 'own', scopes: ['org:read'], expiresInDays: 1 },
    });
    const manifest = await owner.call('manifests.put', {
      params: { workspaceId: ws.body.id, name: 'secret-manifest' },
      body: { cpus: 4, memory: 16 },
    });
    const { cluster } = await insertCluster(resources, {
      workspaceId: ws.body.id,
      orgId: org.body.id,
      manifest: 'secret-manifest',
    });
    const instanceId = await recordNode(resources, cluster);
    const queryId = await insertQuery(resources, cluster);
    const ingestionId = await insertIngestion(resources, cluster);
    const connection = await owner.call('connections.create', {
      params: { workspaceId: ws.body.id },
      body: { ...(EXAMPLE_BODIES['connections.create'] as object), name: 'secret-conn' },
    });
    expect(connection.status, connection.raw).toBe(201);
    Object.assign(victim, {
      orgId: org.body.id,
      workspaceId: ws.body.id,
      userId: owner.userId,
      serviceAccountId: sa.body.clientId,
      invitationId: inv.body.invitation.id,
      tokenId: pat.body.token.id,
      clusterId: cluster.id,
      name: manifest.body.name,
      instanceId,
      queryId,
      ingestionId,
      connectionName: connection.body.name,
      connectionId: connection.body.id,
    });
    victim.email = owner.email;

    const stranger = await sessionUser(app, resources);
    const strangerOrg = await stranger.call('orgs.create', { body: { name: 'Stranger' } });
    const strangerWs = await stranger.call('workspaces.create', {
      params: { orgId: strangerOrg.body.id },
      body: { name: 'own-ws' },
    });
    const strangerSa = await stranger.call('serviceAccounts.create', {
      params: { workspaceId: strangerWs.body.id },
      body: { name: 'sa' },
    });
    const exchanged = await injectCall(
      app,
      'auth.token',
      {},
      {
        body: {
          grant_type: 'client_credentials',
          client_id: strangerSa.body.clientId,
          client_secret: strangerSa.body.clientSecret,
        },
      },
    );
    foreign = [
      { name: 'session', caller: stranger },
      { name: 'personal token', caller: await tokenCaller(app, resources, stranger) },
      { name: 'service account', caller: bearerCaller(app, exchanged.body.access_token) },
    ];
  });
  afterAll(async () => {
    await app?.close();
  });

  function routeFor(method: string, url: string): RouteName | undefined {
    return (Object.keys(contracts) as RouteName[]).find(
      (n) => contracts[n].method === method && contracts[n].path === url,
    );
  }

  function inputFor(name: RouteName): TestCall {
    const c = contracts[name];
    const params: Record<string, string> = {};
    for (const [, key] of c.path.matchAll(/:([A-Za-z]+)/g)) {
      const value = victim[key as string];
      if (value === undefined) throw new Error(`no victim id for :${key}`);
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

  it('every registered route is a contract route with a definition (or a known public one)', () => {
    const routes = installedRoutes(app);
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) {
      if (PUBLIC_PATHS.has(r.url)) continue;
      expect(routeFor(r.method, r.url), `${r.method} ${r.url}`).toBeDefined();
    }
    expect(new Set(apiRoutes.map((d) => d.name)).size).toBe(Object.keys(contracts).length);
    for (const [name, c] of Object.entries(contracts)) {
      if ('body' in c)
        expect(EXAMPLE_BODIES[name as RouteName], `example body for ${name}`).toBeDefined();
    }
  });

  it(
    'a foreign principal gets 404/403 on every scoped route and never sees the victim',
    { timeout: 180_000 },
    async () => {
      const secrets = Object.values(victim);
      let walked = 0;
      // Logging out ends the stranger's session: walk it last.
      const order = [...installedRoutes(app)].sort(
        (a, b) =>
          Number(routeFor(a.method, a.url) === 'auth.logout') -
          Number(routeFor(b.method, b.url) === 'auth.logout'),
      );
      for (const r of order) {
        const name = routeFor(r.method, r.url);
        if (name === undefined) continue;
        const definition = apiRoutes.find((d) => d.name === name);
        if (definition === undefined) throw new Error(`no definition for ${name}`);
        for (const { name: who, caller } of foreign) {
          const res = await caller.call(name, inputFor(name));
          const label = `${who} → ${name} (${res.status}: ${res.raw.slice(0, 200)})`;
          expect(res.status, label).toBeLessThan(500);
          if (definition.scope.kind !== 'none') expect([403, 404], label).toContain(res.status);
          for (const s of secrets) expect(res.raw, label).not.toContain(s);
          walked += 1;
        }
      }
      expect(walked).toBe(Object.keys(contracts).length * foreign.length);

      // Nothing of the victim changed.
      const org = await owner.call('orgs.get', { params: { orgId: victim.orgId! } });
      expect(org.body.name).toBe('Victim');
      const ws = await owner.call('workspaces.get', {
        params: { workspaceId: victim.workspaceId! },
      });
      expect(ws.body).toMatchObject({ name: 'secret-ws', state: 'Uninitialized' });
      const members = await owner.call('orgs.members.list', { params: { orgId: victim.orgId! } });
      expect(members.body.items).toHaveLength(1);
      const sas = await owner.call('serviceAccounts.list', {
        params: { workspaceId: victim.workspaceId! },
      });
      expect(sas.body.items[0].revokedAt).toBeNull();
      const invitations = await owner.call('orgs.invitations.list', {
        params: { orgId: victim.orgId! },
      });
      expect(invitations.body.items).toHaveLength(1);
      expect(invitations.body.items[0].revokedAt).toBeNull();
      const tokens = await owner.call('tokens.list');
      expect(tokens.body.items[0].revokedAt).toBeNull();
      const cluster = await owner.call('compute.get', {
        params: { workspaceId: victim.workspaceId!, clusterId: victim.clusterId! },
      });
      expect(cluster.body).toMatchObject({ state: 'Starting', revision: 0 });
      const manifest = await owner.call('manifests.get', {
        params: { workspaceId: victim.workspaceId!, name: victim.name! },
      });
      expect(manifest.body).toMatchObject({
        spec: { cpus: 4, memory: 16 },
        liveClusterId: victim.clusterId,
      });
      const query = await owner.call('queries.get', {
        params: { workspaceId: victim.workspaceId!, queryId: victim.queryId! },
      });
      expect(query.body).toMatchObject({ state: 'Queued', revision: 0 });
      const connection = await owner.call('connections.get', {
        params: { workspaceId: victim.workspaceId!, connectionName: victim.connectionName! },
      });
      expect(connection.body).toMatchObject({
        id: victim.connectionId,
        state: 'Unverified',
        auth: { kind: 'accessKeys', accessKeyIdHint: '…WALK' },
      });
      const ingestion = await owner.call('ingestions.get', {
        params: { workspaceId: victim.workspaceId!, ingestionId: victim.ingestionId! },
      });
      expect(ingestion.body).toMatchObject({ state: 'Pending', nodeId: null });
    },
  );

  it('the OpenAPI document covers every registered route, and nothing else', async () => {
    const res = await app.inject({ method: 'GET', url: OPENAPI_PATH });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    expect(doc.openapi).toBe('3.1.0');
    const routes = installedRoutes(app).filter((r) => r.url !== OPENAPI_PATH);
    expect(routes.length).toBe(Object.keys(contracts).length);
    for (const r of routes) {
      const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${r.url}`).toBeDefined();
    }
    const documented = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(documented).toBe(routes.length);
  });

  it('anonymous callers get 401 on every route but the public ones', async () => {
    for (const r of installedRoutes(app)) {
      const name = routeFor(r.method, r.url);
      if (name === undefined) continue;
      const res = await injectCall(app, name, {}, inputFor(name));
      if ((contracts[name] as RouteContract).public === true)
        expect(res.status, name).not.toBe(500);
      else {
        expect(res.status, name).toBe(401);
        expect(res.body.error.code).toBe('unauthenticated');
      }
    }
  });
});
