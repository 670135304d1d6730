/**
 * The typed client of `@ferry/api` against a real listening control plane (`start()`), on
 * both backends: first-start setup link, login, a personal token, organizations,
 * workspaces, a service account exchanging its credentials, and error mapping.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFerryClient, FerryApiError } from '@ferry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecretsKey } from '../config/secrets-key.ts';
import { start, type RunningServer } from '../server.ts';
import { BACKENDS, usePostgresServer } from '../testing/backends.ts';
import { createTestDatabase, dropTestDatabase } from '../testing/postgres-server.ts';

for (const backend of BACKENDS) {
  describe(`typed client against a running server [${backend}]`, () => {
    let server: RunningServer;
    let dataDir: string;
    let databaseUrl: string | undefined;
    let setupToken: string | undefined;
    const password = 'a long enough password';

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'ferry-client-test-'));
      if (backend === 'postgres') databaseUrl = await createTestDatabase(await usePostgresServer());
      server = await start({
        env: {
          FERRY_LOG_LEVEL: 'silent',
          FERRY_SECRETS_KEY: generateSecretsKey(),
          FERRY_LISTEN_PORT: '0',
          FERRY_JOBS_ENABLED: 'false',
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        },
        flags: { dataDir },
        bootstrapAdminEmail: 'admin@example.com',
        // The first start prints a one-time setup link; a terminal would show it.
        print: (line) => {
          setupToken = /#token=(\S+)/.exec(line)?.[1];
        },
      });
      // A first start initialises the database on disk: slow on a busy machine.
    }, 180_000);
    afterAll(async () => {
      await server?.stop();
      if (databaseUrl) await dropTestDatabase(await usePostgresServer(), databaseUrl);
      await rm(dataDir, { recursive: true, force: true });
    });

    it('runs the whole flow through the typed client', { timeout: 120_000 }, async () => {
      expect(setupToken).toMatch(/^ferry_setup_/);
      const anon = createFerryClient({ baseUrl: server.url });
      const admin = await anon.call('auth.setup', {
        body: { token: setupToken!, name: 'Admin', password },
      });
      expect(admin.instanceAdmin).toBe(true);

      // Login through the client; a browser keeps the cookie, here the test does.
      let cookie = '';
      const cookieFetch: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        const set = res.headers.get('set-cookie');
        if (set) cookie = set.split(';')[0]!;
        return res;
      };
      const login = await createFerryClient({ baseUrl: server.url, fetch: cookieFetch }).call(
        'auth.login',
        {
          body: { email: 'admin@example.com', password },
        },
      );
      const dashboard = createFerryClient({
        baseUrl: server.url,
        headers: { cookie, 'x-csrf-token': login.csrfToken },
      });
      const pat = await dashboard.call('tokens.create', {
        body: {
          name: 'cli',
          scopes: [
            'orgs:create',
            'org:read',
            'org:manage',
            'workspace:create',
            'workspace:read',
            'service-accounts:manage',
          ],
          expiresInDays: 30,
        },
      });

      const cli = createFerryClient({ baseUrl: server.url, token: pat.secret });
      const org = await cli.call('orgs.create', {
        body: { name: 'Typed' },
        idempotencyKey: 'org-1',
      });
      const replay = await cli.call('orgs.create', {
        body: { name: 'Typed' },
        idempotencyKey: 'org-1',
      });
      expect(replay.id).toBe(org.id);
      const ws = await cli.call('workspaces.create', {
        params: { orgId: org.id },
        body: { name: 'prod', defaultCompute: { cpus: 8, memoryGb: 32 }, labels: { env: 'prod' } },
      });
      expect(ws.state).toBe('Uninitialized');
      const page = await cli.call('workspaces.list', {
        params: { orgId: org.id },
        query: { limit: 10 },
      });
      expect(page.items.map((w) => w.id)).toEqual([ws.id]);

      const sa = await cli.call('serviceAccounts.create', {
        params: { workspaceId: ws.id },
        body: { name: 'etl' },
      });
      const exchanged = await anon.call('auth.token', {
        body: {
          grant_type: 'client_credentials',
          client_id: sa.clientId,
          client_secret: sa.clientSecret,
        },
      });
      const robot = createFerryClient({ baseUrl: server.url, token: () => exchanged.access_token });
      expect((await robot.call('workspaces.get', { params: { workspaceId: ws.id } })).name).toBe(
        'prod',
      );

      // Errors arrive as FerryApiError with the server's code, field and request id.
      const err = await cli
        .call('workspaces.update', { params: { workspaceId: ws.id }, body: { name: 'renamed' } })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FerryApiError);
      expect(err).toMatchObject({ code: 'forbidden', status: 403 });
      const invalid = await cli
        .call('orgs.update', { params: { orgId: org.id }, body: { name: '' } })
        .catch((e: unknown) => e as FerryApiError);
      expect(invalid).toMatchObject({ code: 'validation_failed', status: 400, fault: 'client' });
      expect((invalid as FerryApiError).details[0]?.path).toBe('body.name');
      expect((invalid as FerryApiError).requestId).toBeTruthy();
      const missing = await robot
        .call('orgs.get', { params: { orgId: org.id } })
        .catch((e: unknown) => e as FerryApiError);
      expect(missing).toMatchObject({ code: 'not_found', status: 404 });

      // The OpenAPI document is served by the same server.
      const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as {
        openapi: string;
      };
      expect(doc.openapi).toBe('3.1.0');
    });
  });
}
