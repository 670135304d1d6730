/**
 * The API benchmark: the control plane (`ferry server`, its own process, as operators run
 * it) against two bare-Fastify baselines measured in the same run on the same machine and
 * database — one serving the same JSON, one running the same SQL with no authentication.
 * For each backend (PGlite, PostgreSQL): requests/s and p50/p99 of an authenticated list
 * route and a create route at each connection count (autocannon), database statements per
 * request (PostgreSQL's `pg_stat_statements`), and resident memory at idle and under load.
 *
 * With `taskset` present the server runs on CPU 0 and the load generator on CPU 1, so the
 * two do not steal each other's core.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFerryClient, type FerryClient } from '@ferry/api';
import { PERMISSIONS } from '@ferry/core';
import autocannon from 'autocannon';
import pg from 'pg';
import {
  createTestDatabase,
  freePort,
  startPostgresServer,
  type PostgresServer,
} from '../../apps/control-plane/src/testing/postgres-server.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'apps/cli/src/bin.ts');
const BASELINE = join(ROOT, 'bench/api/baseline-server.ts');
const PASSWORD = 'bench password, long enough';

export type Backend = 'pglite' | 'postgres';

/** Sizes of a run. */
export interface ApiBenchOptions {
  readonly backends: readonly Backend[];
  readonly connections: readonly number[];
  /** Seconds per measured load. */
  readonly durationSeconds: number;
  /** Workspaces in the listed organization (the list answers one page of them). */
  readonly workspaces: number;
  /** Requests in the fixed-size run whose database statements are counted. */
  readonly countedRequests: number;
  readonly log?: (line: string) => void;
}

/** One autocannon run. */
export interface LoadFigures {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers that were not 2xx, and socket errors — any makes the figures suspect. */
  readonly failures: number;
}

/** Database statements per request, by kind (PostgreSQL only). */
export interface StatementFigures {
  readonly perRequest: number;
  readonly byKind: Readonly<Record<string, number>>;
}

export interface BackendResult {
  readonly backend: Backend;
  /** `${target} ${route} c=${connections}` → figures. */
  readonly loads: Readonly<Record<string, LoadFigures>>;
  readonly statements: { readonly list?: StatementFigures; readonly create?: StatementFigures };
  /** Resident memory in MiB: idle after start + seeding, and the peak under load. */
  readonly memory: Readonly<Record<string, number>>;
}

export interface ApiBenchResult {
  readonly pinned: boolean;
  readonly results: readonly BackendResult[];
}

const PINNED = existsSync('/usr/bin/taskset') || spawnSync('which', ['taskset']).status === 0;

/** One child process that printed its URL. */
interface Child {
  readonly url: string;
  readonly pid: number;
  readonly output: () => string;
  stop(): Promise<void>;
}

async function startChild(args: readonly string[], env: Record<string, string>): Promise<Child> {
  const [cmd, argv] = PINNED
    ? ['taskset', ['-c', '0', process.execPath, ...args]]
    : [process.execPath, [...args]];
  const child: ChildProcess = spawn(cmd, argv, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-64 * 1024);
  };
  child.stderr?.on('data', keep);
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no ready line in 90 s:\n${output}`)), 90_000);
    child.stdout?.on('data', (d: Buffer) => {
      keep(d);
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`exited (${code}) before listening:\n${output}`));
    });
  });
  return {
    url,
    pid: child.pid ?? -1,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Resident memory of a process (the node behind `taskset` is the same pid) in MiB. */
async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

/** Samples a process's RSS while `work` runs; resolves with the peak. */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<[T, number]> {
  let peak = await rssMiB(pid);
  const timer = setInterval(() => {
    void rssMiB(pid).then(
      (v) => (peak = Math.max(peak, v)),
      () => {},
    );
  }, 200);
  try {
    return [await work(), peak];
  } finally {
    clearInterval(timer);
  }
}

interface LoadRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  /** A fresh body per request (unique names for creates). */
  readonly body?: () => string;
  readonly connections: number;
  readonly durationSeconds?: number;
  readonly amount?: number;
}

/** Bodies creating workspaces named `${prefix}-1`, `${prefix}-2`, … */
function uniqueName(prefix: string): () => string {
  let n = 0;
  return () => JSON.stringify({ name: `${prefix}-${++n}` });
}

async function load(req: LoadRequest): Promise<LoadFigures> {
  const result = await autocannon({
    url: req.url,
    method: req.method,
    headers: req.headers,
    ...(req.body !== undefined
      ? { requests: [{ setupRequest: (r: object) => ({ ...r, body: req.body!() }) }] }
      : {}),
    connections: req.connections,
    ...(req.amount !== undefined ? { amount: req.amount } : { duration: req.durationSeconds ?? 5 }),
  });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** What seeding leaves for the measured routes. */
interface Seeded {
  readonly token: string;
  readonly orgId: string;
  readonly userId: string;
  readonly listBody: string;
}

/** The instance admin from the setup link, a personal access token, an org and its workspaces. */
async function seed(server: Child, workspaces: number): Promise<Seeded> {
  const setupToken = /setup#token=(\S+)/.exec(server.output())?.[1];
  if (setupToken === undefined) throw new Error(`no setup link printed:\n${server.output()}`);
  const anonymous = createFerryClient({ baseUrl: server.url });
  const admin = await anonymous.call('auth.setup', {
    body: { token: setupToken, email: 'bench@ferry.test', name: 'Bench', password: PASSWORD },
  });
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@ferry.test', password: PASSWORD }),
  });
  if (!login.ok) throw new Error(`login: ${login.status} ${await login.text()}`);
  const session = (await login.json()) as { csrfToken: string };
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const browser = createFerryClient({
    baseUrl: server.url,
    headers: { cookie, 'x-csrf-token': session.csrfToken },
  });
  const pat = await browser.call('tokens.create', {
    body: { name: 'bench', scopes: [...PERMISSIONS], expiresInDays: 1 },
  });
  const client: FerryClient = createFerryClient({ baseUrl: server.url, token: pat.secret });
  const org = await client.call('orgs.create', { body: { name: 'Bench org' } });
  for (let i = 0; i < workspaces; i++) {
    await client.call('workspaces.create', {
      params: { orgId: org.id },
      body: { name: `ws-${String(i).padStart(3, '0')}` },
    });
  }
  const list = await fetch(`${server.url}/api/v1/orgs/${org.id}/workspaces`, {
    headers: { authorization: `Bearer ${pat.secret}` },
  });
  return { token: pat.secret, orgId: org.id, userId: admin.id, listBody: await list.text() };
}

/** Counts statements the server ran while `work` ran (pg_stat_statements, this database). */
async function countStatements(
  url: string,
  requests: number,
  work: () => Promise<unknown>,
): Promise<StatementFigures> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('create extension if not exists pg_stat_statements');
    await client.query('select pg_stat_statements_reset()');
    await work();
    const { rows } = await client.query<{ query: string; calls: string }>(
      `select s.query, s.calls from pg_stat_statements s
         join pg_database d on d.oid = s.dbid
        where d.datname = current_database() and s.query not like '%pg_stat_statements%'`,
    );
    const byKind: Record<string, number> = {};
    let total = 0;
    for (const row of rows) {
      const kind = (/^\s*(\w+)/.exec(row.query)?.[1] ?? '?').toLowerCase();
      byKind[kind] = (byKind[kind] ?? 0) + Number(row.calls) / requests;
      total += Number(row.calls);
    }
    for (const k of Object.keys(byKind)) byKind[k] = Math.round(byKind[k]! * 100) / 100;
    return { perRequest: Math.round((total / requests) * 100) / 100, byKind };
  } finally {
    await client.end();
  }
}

const SERVER_ENV = {
  // The bench measures the request path, not the limiter answering 429.
  FERRY_RATE_LIMIT_PER_MINUTE: '1000000',
  // No AWS is configured; background jobs would only measure their own retries.
  FERRY_JOBS_ENABLED: 'false',
  FERRY_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
};

async function benchBackend(
  backend: Backend,
  options: ApiBenchOptions,
  postgres: PostgresServer | undefined,
): Promise<BackendResult> {
  const log = options.log ?? (() => {});
  const scratch = await mkdtemp(join(tmpdir(), 'ferry-bench-api-'));
  const loads: Record<string, LoadFigures> = {};
  const memory: Record<string, number> = {};
  const statements: { list?: StatementFigures; create?: StatementFigures } = {};
  try {
    const dataDir = join(scratch, 'data');
    const databaseUrl = postgres ? await createTestDatabase(postgres) : undefined;
    const dbArgs = databaseUrl ? ['--database-url', databaseUrl] : [];
    const port = await freePort();
    log(`${backend}: starting ferry server`);
    const server = await startChild(
      [CLI, 'server', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, ...dbArgs],
      { ...SERVER_ENV, FERRY_LOG_LEVEL: 'info' },
    );
    let seeded: Seeded;
    try {
      seeded = await seed(server, options.workspaces);
      const auth = { authorization: `Bearer ${seeded.token}` };
      const listUrl = `${server.url}/api/v1/orgs/${seeded.orgId}/workspaces`;
      // Warm up, then let the process settle before reading idle memory.
      await load({ url: listUrl, method: 'GET', headers: auth, connections: 10, amount: 500 });
      await new Promise((r) => setTimeout(r, 2000));
      memory['ferry idle'] = await rssMiB(server.pid);
      let peak = 0;
      for (const c of options.connections) {
        log(`${backend}: ferry list c=${c}`);
        const [figures, p] = await peakRss(server.pid, () =>
          load({
            url: listUrl,
            method: 'GET',
            headers: auth,
            connections: c,
            durationSeconds: options.durationSeconds,
          }),
        );
        loads[`ferry list c=${c}`] = figures;
        peak = Math.max(peak, p);
        log(`${backend}: ferry create c=${c}`);
        const [created, p2] = await peakRss(server.pid, () =>
          load({
            url: listUrl,
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: uniqueName(`load-${c}`),
            connections: c,
            durationSeconds: options.durationSeconds,
          }),
        );
        loads[`ferry create c=${c}`] = created;
        peak = Math.max(peak, p2);
      }
      memory['ferry under load (peak)'] = peak;
      if (databaseUrl !== undefined) {
        const n = options.countedRequests;
        statements.list = await countStatements(databaseUrl, n, () =>
          load({ url: listUrl, method: 'GET', headers: auth, connections: 1, amount: n }),
        );
        statements.create = await countStatements(databaseUrl, n, () =>
          load({
            url: listUrl,
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: uniqueName('counted'),
            connections: 1,
            amount: n,
          }),
        );
      }
    } finally {
      await server.stop();
    }

    const bodyFile = join(scratch, 'list.json');
    await writeFile(bodyFile, seeded.listBody);
    const baselines: Array<[string, string[]]> = [
      ['bare JSON', ['--mode', 'json', '--body-file', bodyFile]],
      [
        'same SQL',
        [
          '--mode',
          'sql',
          '--org',
          seeded.orgId,
          '--user',
          seeded.userId,
          ...(databaseUrl
            ? ['--database-url', databaseUrl]
            : ['--data-dir', join(dataDir, 'pglite')]),
        ],
      ],
    ];
    for (const [name, args] of baselines) {
      const base = await startChild([BASELINE, ...args, '--port', String(await freePort())], {});
      try {
        const url = `${base.url}/api/v1/orgs/${seeded.orgId}/workspaces`;
        await load({ url, method: 'GET', headers: {}, connections: 10, amount: 500 });
        await new Promise((r) => setTimeout(r, 1000));
        memory[`${name} idle`] = await rssMiB(base.pid);
        for (const c of options.connections) {
          log(`${backend}: ${name} list c=${c}`);
          const figures = (loads[`${name} list c=${c}`] = await load({
            url,
            method: 'GET',
            headers: {},
            connections: c,
            durationSeconds: options.durationSeconds,
          }));
          if (figures.failures > 0) log(`${backend}: ${name} failed requests:\n${base.output()}`);
          if (name === 'bare JSON') {
            loads[`${name} create c=${c}`] = await load({
              url,
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: () => '{}',
              connections: c,
              durationSeconds: options.durationSeconds,
            });
          }
        }
      } finally {
        await base.stop();
      }
    }
    return { backend, loads, statements, memory };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Runs the whole benchmark. */
export async function runApiBench(options: ApiBenchOptions): Promise<ApiBenchResult> {
  if (PINNED) spawnSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
  const postgres = options.backends.includes('postgres')
    ? await startPostgresServer(['shared_preload_libraries=pg_stat_statements'])
    : undefined;
  try {
    const results: BackendResult[] = [];
    for (const backend of options.backends) {
      results.push(
        await benchBackend(backend, options, backend === 'postgres' ? postgres : undefined),
      );
    }
    return { pinned: PINNED, results };
  } finally {
    await postgres?.stop();
  }
}

const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

/** The figures as Markdown tables (ratios against the same run's baselines). */
export function formatApiBench(result: ApiBenchResult, connections: readonly number[]): string {
  const out: string[] = [];
  for (const r of result.results) {
    out.push(`#### ${r.backend === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL'}`, '');
    out.push(
      '| route | connections | ferry req/s | p50 / p99 ms | bare JSON req/s | same SQL req/s | ferry ÷ same SQL | ferry ÷ bare JSON | failures |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const route of ['list', 'create']) {
      for (const c of connections) {
        const f = r.loads[`ferry ${route} c=${c}`];
        const json = r.loads[`bare JSON ${route} c=${c}`];
        const sql = r.loads[`same SQL ${route} c=${c}`];
        if (!f) continue;
        out.push(
          `| ${route} | ${c} | ${f.requestsPerSecond} | ${f.p50Ms} / ${f.p99Ms} | ${json?.requestsPerSecond ?? '–'} | ${sql?.requestsPerSecond ?? '–'} | ${sql ? ratio(f.requestsPerSecond, sql.requestsPerSecond) : '–'} | ${json ? ratio(f.requestsPerSecond, json.requestsPerSecond) : '–'} | ${f.failures} |`,
        );
      }
    }
    out.push('');
    for (const [route, s] of Object.entries(r.statements)) {
      const kinds = Object.entries(s.byKind)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      out.push(`- database statements per ${route} request: **${s.perRequest}** (${kinds})`);
    }
    const mem = Object.entries(r.memory)
      .map(([k, v]) => `${k} ${v} MiB`)
      .join('; ');
    out.push(`- resident memory: ${mem}`, '');
  }
  out.push(
    result.pinned
      ? '_Server on CPU 0, load generator on CPU 1 (taskset)._'
      : '_Not pinned (no taskset): server and load generator share the cores._',
  );
  return out.join('\n');
}
