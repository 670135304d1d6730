/**
 * The memory benchmark: resident memory of the control plane at idle on PGlite and on
 * PostgreSQL against a bare Fastify process measured in the same run, and what each of the
 * server's large dependencies adds when imported (marginal cost, in the order the server
 * loads them; the EC2 SDK last, since the server loads it only on its first EC2 call).
 * Every measurement is its own Node process.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createTestDatabase,
  startPostgresServer,
} from '../../apps/control-plane/src/testing/postgres-server.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const run = promisify(execFile);

/** Modules measured by import, in the server's order; the control plane's entry next to last. */
export const MEASURED_IMPORTS = [
  'fastify',
  'kysely',
  'pg',
  'zod',
  '@electric-sql/pglite',
  '@aws-sdk/client-sts',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-sqs',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-cloudformation',
  '@aws-sdk/client-kinesis',
  '@ferry/api',
  join(ROOT, 'apps/control-plane/src/index.ts'),
  '@aws-sdk/client-ec2',
] as const;

export type MemoryBackend = 'pglite' | 'postgres';

/** An idle process's figures. */
export interface IdleFigures {
  readonly rssMiB: number;
  readonly heapMiB: number;
  /** Only for the control plane: whether the EC2 SDK was loaded at idle. */
  readonly ec2SdkLoaded?: boolean;
}

export interface MemoryResult {
  readonly baseline: { readonly node: IdleFigures; readonly fastify: IdleFigures };
  readonly idle: Partial<Record<MemoryBackend, IdleFigures>>;
  readonly startRssMiB: number;
  readonly imports: readonly { module: string; rssMiB: number; heapMiB: number }[];
}

async function nodeJson<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await run(process.execPath, ['--expose-gc', ...args], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 300_000,
  });
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`no figures from ${args.join(' ')}:\n${stdout}`);
  return JSON.parse(line) as T;
}

const BARE_NODE = `globalThis.gc?.(); const m = process.memoryUsage();
console.log(JSON.stringify({ rssMiB: Math.round(m.rss / 104857.6) / 10, heapMiB: Math.round(m.heapUsed / 104857.6) / 10 }));`;

const BARE_FASTIFY = `import Fastify from 'fastify';
const app = Fastify();
app.get('/', async () => ({ ok: true }));
await app.listen({ host: '127.0.0.1', port: 0 });
const url = 'http://127.0.0.1:' + app.server.address().port + '/';
for (let i = 0; i < 80; i++) await (await fetch(url)).arrayBuffer();
await new Promise((r) => setTimeout(r, 2000));
globalThis.gc?.(); const m = process.memoryUsage();
console.log(JSON.stringify({ rssMiB: Math.round(m.rss / 104857.6) / 10, heapMiB: Math.round(m.heapUsed / 104857.6) / 10 }));
await app.close();`;

/** Runs the benchmark; everything it starts is stopped before it returns. */
export async function runMemoryBench(
  options: {
    backends?: readonly MemoryBackend[];
    /** Measure the marginal cost of each import (default true). */
    imports?: boolean;
    log?: (line: string) => void;
  } = {},
): Promise<MemoryResult> {
  const log = options.log ?? (() => {});
  const backends = options.backends ?? ['pglite', 'postgres'];
  log('baselines');
  const node = await nodeJson<IdleFigures>(['--input-type=module', '-e', BARE_NODE]);
  const fastify = await nodeJson<IdleFigures>(['--input-type=module', '-e', BARE_FASTIFY]);
  const idle: Partial<Record<MemoryBackend, IdleFigures>> = {};
  const server = join(HERE, 'idle-server.ts');
  const scratch = await mkdtemp(join(tmpdir(), 'ferry-bench-memory-'));
  try {
    if (backends.includes('pglite')) {
      log('pglite: idle control plane');
      idle.pglite = await nodeJson([server, '--data-dir', join(scratch, 'data')]);
    }
    if (backends.includes('postgres')) {
      const pgServer = await startPostgresServer();
      try {
        log('postgres: idle control plane');
        idle.postgres = await nodeJson([
          server,
          '--database-url',
          await createTestDatabase(pgServer),
        ]);
      } finally {
        await pgServer.stop();
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  if (options.imports === false)
    return { baseline: { node, fastify }, idle, startRssMiB: 0, imports: [] };
  log('imports');
  const costs = await nodeJson<{ startRssMiB: number; imports: MemoryResult['imports'] }>([
    join(HERE, 'import-cost.ts'),
    ...MEASURED_IMPORTS,
  ]);
  return { baseline: { node, fastify }, idle, ...costs };
}

const pad = (s: string, n: number) => s.padEnd(n);
const num = (n: number, n2: number) => n.toFixed(1).padStart(n2);

/** The result as the tables printed and written to docs/benchmarks.md. */
export function formatMemoryBench(r: MemoryResult): string {
  const f = r.baseline.fastify;
  const lines = [
    'process                       RSS MiB  heap MiB  vs bare Fastify       EC2 SDK loaded',
    '----------------------------  -------  --------  --------------------  --------------',
    `bare Node                     ${num(r.baseline.node.rssMiB, 7)}  ${num(r.baseline.node.heapMiB, 8)}`,
    `bare Fastify (baseline)       ${num(f.rssMiB, 7)}  ${num(f.heapMiB, 8)}  1.00×`,
  ];
  for (const [backend, x] of Object.entries(r.idle)) {
    const vs = `${(x.rssMiB / f.rssMiB).toFixed(2)}× (+${(x.rssMiB - f.rssMiB).toFixed(0)} MiB)`;
    lines.push(
      `${pad(`ferry idle, ${backend}`, 28)}  ${num(x.rssMiB, 7)}  ${num(x.heapMiB, 8)}  ${pad(vs, 20)}  ${x.ec2SdkLoaded ? 'yes' : 'no'}`,
    );
  }
  lines.push(
    '',
    `marginal cost of each import (a fresh Node process starts at ${r.startRssMiB} MiB):`,
  );
  lines.push(
    'module                          RSS MiB  heap MiB',
    '------------------------------  -------  --------',
  );
  for (const i of r.imports) {
    const name = i.module.startsWith('/') ? '(control plane, rest)' : i.module;
    lines.push(`${pad(name, 30)}  ${num(i.rssMiB, 7)}  ${num(i.heapMiB, 8)}`);
  }
  return lines.join('\n');
}
