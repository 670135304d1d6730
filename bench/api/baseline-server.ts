/**
 * The API benchmark's baselines, each a bare Fastify route with no authentication, no
 * validation and no audit, run as its own process like the control plane:
 * - `json`: serves a fixed body (what the framework alone costs);
 * - `sql`: runs the SQL of the control plane's workspace list on the same database and
 *   serves the rows (what the framework plus the database cost).
 *
 * `node bench/api/baseline-server.ts --mode json|sql --port N [--body-file F]
 *   [--database-url URL | --data-dir DIR] [--org ID --user ID]`
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import Fastify from 'fastify';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    port: { type: 'string' },
    'body-file': { type: 'string' },
    'database-url': { type: 'string' },
    'data-dir': { type: 'string' },
    org: { type: 'string' },
    user: { type: 'string' },
  },
});

/** The control plane's `listWorkspaces` query for an org admin's first page. */
const LIST_SQL = `select w.*, m.role as member_role
  from workspaces w
  left join workspace_members m on m.workspace_id = w.id and m.user_id = $2
  where w.org_id = $1 and w.deleted_at is null
  order by w.id limit 51`;

type Query = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

async function openQuery(): Promise<{ query: Query; close: () => Promise<void> }> {
  const url = values['database-url'];
  if (url !== undefined) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    return {
      query: async (sql, params) => (await pool.query<Record<string, unknown>>(sql, params)).rows,
      close: () => pool.end(),
    };
  }
  const dir = values['data-dir'];
  if (dir === undefined) throw new Error('--database-url or --data-dir is required in sql mode');
  const db = await PGlite.create({ dataDir: dir });
  return {
    query: async (sql, params) => (await db.query<Record<string, unknown>>(sql, params)).rows,
    close: () => db.close(),
  };
}

const app = Fastify({ logger: false });
app.setErrorHandler((err, _req, reply) => {
  process.stderr.write(`baseline: ${String(err)}\n`);
  void reply.code(500).send({ error: String(err) });
});
let close = async (): Promise<void> => {};
if (values.mode === 'json') {
  const body = await readFile(values['body-file'] ?? '', 'utf8');
  app.get('/*', (_req, reply) => reply.type('application/json').send(body));
  app.post('/*', (_req, reply) => reply.code(201).type('application/json').send(body));
} else if (values.mode === 'sql') {
  const db = await openQuery();
  close = db.close;
  app.get('/*', async () => {
    const rows = await db.query(LIST_SQL, [values.org, values.user]);
    return { items: rows.slice(0, 50), nextCursor: null };
  });
} else {
  throw new Error('--mode must be json or sql');
}

const stop = (): void => {
  void app
    .close()
    .then(close)
    .finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
await app.listen({ host: '127.0.0.1', port: Number(values.port ?? 0) });
const address = app.server.address();
process.stdout.write(
  `baseline listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`,
);
