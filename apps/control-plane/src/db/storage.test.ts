import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestBackend, describeEachBackend } from '../testing/backends.ts';
import { migrations } from '../migrations/index.ts';
import { migrate, pendingMigrations } from './migrate.ts';

describeEachBackend('storage', (ctx) => {
  it('is migrated and speaks PostgreSQL', async () => {
    const { db } = ctx().resources;
    expect(await pendingMigrations(db, migrations)).toEqual([]);
    expect(await migrate(db, migrations)).toEqual({ applied: [] });
    const r = await sql<{
      n: number;
      t: Date;
      j: { a: number[] };
    }>`select count(*) as n, now() as t, '{"a":[1,2]}'::jsonb as j from schema_migrations`.execute(
      db,
    );
    // int8 arrives as a number and timestamptz as a Date on both backends.
    expect(r.rows[0]?.n).toBe(migrations.length);
    expect(r.rows[0]?.t).toBeInstanceOf(Date);
    expect(r.rows[0]?.j).toEqual({ a: [1, 2] });
  });

  it('commits and rolls back transactions', async () => {
    const { db } = ctx().resources;
    await sql`create table tx_probe (id text primary key)`.execute(db);
    await db.transaction().execute(async (tx) => {
      await sql`insert into tx_probe values ('committed')`.execute(tx);
    });
    await expect(
      db.transaction().execute(async (tx) => {
        await sql`insert into tx_probe values ('rolled-back')`.execute(tx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const rows = await sql<{ id: string }>`select id from tx_probe order by id`.execute(db);
    expect(rows.rows.map((r) => r.id)).toEqual(['committed']);
  });

  it('isolates a transaction from other sessions until it commits', async () => {
    const { db } = ctx().resources;
    await sql`create table iso_probe (id text primary key)`.execute(db);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const didInsert = new Promise<void>((r) => (inserted = r));
    const writer = db.transaction().execute(async (tx) => {
      await sql`insert into iso_probe values ('x')`.execute(tx);
      inserted();
      await gate;
    });
    await didInsert;
    const count = () => sql<{ n: number }>`select count(*) as n from iso_probe`.execute(db);
    if (ctx().backend === 'postgres') {
      // Another pooled session does not see the uncommitted row.
      expect((await count()).rows[0]?.n).toBe(0);
      release();
    } else {
      // PGlite is one session: other queries wait for the transaction to end.
      const reader = count();
      release();
      expect((await reader).rows[0]?.n).toBe(1);
    }
    await writer;
    expect((await count()).rows[0]?.n).toBe(1);
  });

  it('supports savepoints in controlled transactions', async () => {
    const { db } = ctx().resources;
    await sql`create table sp_probe (id text primary key)`.execute(db);
    const trx = await db.startTransaction().execute();
    await sql`insert into sp_probe values ('outer')`.execute(trx);
    const sp = await trx.savepoint('inner').execute();
    await sql`insert into sp_probe values ('inner')`.execute(sp);
    await sp.rollbackToSavepoint('inner').execute();
    await trx.commit().execute();
    const rows = await sql<{ id: string }>`select id from sp_probe`.execute(db);
    expect(rows.rows.map((r) => r.id)).toEqual(['outer']);
  });
});

describe('migrations on PostgreSQL', () => {
  it('apply once when two replicas migrate at the same time', async () => {
    const a = await createTestBackend('postgres', { migrate: false });
    const b = await createTestBackend('postgres', {
      migrate: false,
      ...(a.databaseUrl ? { databaseUrl: a.databaseUrl } : {}),
    });
    try {
      const [ra, rb] = await Promise.all([
        migrate(a.resources.db, migrations),
        migrate(b.resources.db, migrations),
      ]);
      expect([...ra.applied, ...rb.applied].sort()).toEqual(migrations.map((m) => m.name).sort());
      const rows = await a.resources.db.selectFrom('schema_migrations').select('name').execute();
      expect(rows.map((r) => r.name)).toEqual(migrations.map((m) => m.name));
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('roll back a failing migration and record nothing for it', async () => {
    const t = await createTestBackend('postgres', { migrate: false });
    try {
      const bad = {
        name: '9999-bad',
        async up(db: Parameters<(typeof migrations)[number]['up']>[0]) {
          await sql`create table half_done (id int)`.execute(db);
          throw new Error('migration failed');
        },
      };
      await expect(migrate(t.resources.db, [...migrations, bad])).rejects.toThrow(
        'migration failed',
      );
      expect(await pendingMigrations(t.resources.db, [...migrations, bad])).toEqual(['9999-bad']);
      const exists = await sql<{ t: string | null }>`select to_regclass('half_done') as t`.execute(
        t.resources.db,
      );
      expect(exists.rows[0]?.t).toBeNull();
    } finally {
      await t.close();
    }
  });
});
