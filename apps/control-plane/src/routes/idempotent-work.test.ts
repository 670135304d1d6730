/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   Raw response bodies are untyped JSON on purpose. */
/**
 * On every idempotent route (from the route table): when recording the key's completion
 * fails — standing in for a crash between the work and the record — the work is not kept,
 * so the client's retry with the same key does it exactly once, and a further retry
 * replays it. The failure is real: a trigger makes PostgreSQL refuse the completion.
 */
import { contracts, type RouteContract, type RouteName } from '@ferry/api';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { insertCluster } from '../compute/cluster-fixture.ts';
import { IDEMPOTENCY_CLAIM_MS } from '../http/idempotency.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { createTestClock } from '../testing/test-clock.ts';
import { sessionUser, type TestCaller } from './api-test-kit.ts';
import { EXAMPLE_BODIES } from './example-bodies.ts';

const IDEMPOTENT = (Object.keys(contracts) as RouteName[]).filter(
  (n) => (contracts[n] as RouteContract).idempotent === true,
);
// Starting a cluster needs a workspace connected to AWS, preparing a connection the
// platform's principal (`ferry platform init`): both are refused (409) before any work here.
// The end-to-end compute tests start clusters with keys, the connection tests prepare on
// localcloud. Submitting a query needs a live proxy-mode cluster, which the walk records
// directly. Starting an ingestion needs a connected workspace (its results bucket) and a
// Kinesis connection: the Kinesis landing end-to-end test starts them.
const NEEDS_AWS = new Set<RouteName>(['compute.start', 'connections.prepare', 'ingestions.start']);
// Rows that record requests rather than their work.
const BOOKKEEPING = new Set(['audit_log', 'idempotency_keys', 'sessions', 'kysely_migration']);

const clock = createTestClock();

describeEachBackend(
  'idempotent work commits with its key',
  (ctx) => {
    let app: FastifyInstance;
    let owner: TestCaller;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      app = await createApp(ctx().resources);
      owner = await sessionUser(app, ctx().resources, { instanceAdmin: true });
      const org = await owner.call('orgs.create', { body: { name: 'Idem' } });
      const ws = await owner.call('workspaces.create', {
        params: { orgId: org.body.id },
        body: { name: 'idem' },
      });
      expect([org.status, ws.status], org.raw + ws.raw).toEqual([201, 201]);
      const { cluster } = await insertCluster(ctx().resources, {
        workspaceId: ws.body.id,
        orgId: org.body.id,
        context: { connectionMode: 'proxy' },
      });
      Object.assign(ids, { orgId: org.body.id, workspaceId: ws.body.id, clusterId: cluster.id });
    });
    afterAll(async () => {
      await app?.close();
    });

    async function counts(): Promise<Record<string, number>> {
      const db = ctx().resources.db;
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
      const out: Record<string, number> = {};
      for (const { table_name: t } of tables.rows) {
        if (BOOKKEEPING.has(t)) continue;
        const r = await sql<{
          n: string | number;
        }>`select count(*) as n from ${sql.table(t)}`.execute(db);
        out[t] = Number(r.rows[0]?.n ?? 0);
      }
      return out;
    }

    async function failCompletion(on: boolean): Promise<void> {
      const db = ctx().resources.db;
      if (on) {
        await sql`create or replace function ferry_test_crash() returns trigger language plpgsql as $$
          begin raise exception 'crash before the key is recorded'; end $$`.execute(db);
        await sql`create trigger ferry_test_crash before update on idempotency_keys
          for each row execute function ferry_test_crash()`.execute(db);
      } else {
        await sql`drop trigger if exists ferry_test_crash on idempotency_keys`.execute(db);
      }
    }

    it('a failed record keeps no work; the retry does it once; another replays it', async () => {
      expect(IDEMPOTENT.length).toBeGreaterThan(3);
      let proven = 0;
      for (const name of IDEMPOTENT) {
        if (NEEDS_AWS.has(name)) continue;
        const params: Record<string, string> = {};
        for (const [, key] of contracts[name].path.matchAll(/:([A-Za-z]+)/g))
          params[key!] = ids[key!]!;
        const input = {
          params,
          body: EXAMPLE_BODIES[name],
          headers: { 'idempotency-key': `crash-${name}` },
        };
        const before = await counts();
        await failCompletion(true);
        try {
          const crashed = await owner.call(name, input);
          expect(crashed.status, `${name}: ${crashed.raw.slice(0, 200)}`).toBe(500);
        } finally {
          await failCompletion(false);
        }
        expect(await counts(), `${name} kept work whose key was not recorded`).toEqual(before);

        // The client retries once the claim of the "dead" request has lapsed.
        await clock.advance(IDEMPOTENCY_CLAIM_MS + 1);
        const retried = await owner.call(name, input);
        expect(retried.status, `${name}: ${retried.raw.slice(0, 200)}`).toBe(
          contracts[name].status,
        );
        const after = await counts();
        expect(after, `${name} did no work`).not.toEqual(before);
        const replayed = await owner.call(name, input);
        expect(replayed.status).toBe(contracts[name].status);
        expect(replayed.headers['idempotent-replayed']).toBe('true');
        expect(replayed.body).toEqual(retried.body);
        expect(await counts(), `${name} did the work twice`).toEqual(after);
        proven += 1;
      }
      expect(proven).toBe(IDEMPOTENT.filter((n) => !NEEDS_AWS.has(n)).length);
    });
  },
  { clock },
);
