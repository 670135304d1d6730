/**
 * `npm run bench:api`: the control plane's authenticated list and create routes against a
 * bare Fastify route serving the same JSON and one running the same SQL, on PGlite and on
 * PostgreSQL, in one run. Flags: --duration 10 --connections 10,100
 * --backends pglite,postgres --workspaces 20 --counted 500 --no-write.
 */
import { parseArgs } from 'node:util';
import { writeBenchSection } from '../bench-report.ts';
import { formatApiBench, runApiBench, type Backend } from './api-bench.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10,100' },
    backends: { type: 'string', default: 'pglite,postgres' },
    workspaces: { type: 'string', default: '20' },
    counted: { type: 'string', default: '500' },
    'no-write': { type: 'boolean', default: false },
  },
});

const positive = (flag: string, raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: expected a positive integer`);
  return n;
};
const connections = (values.connections ?? '').split(',').map((c) => positive('connections', c));
const backends = (values.backends ?? '').split(',').map((b): Backend => {
  if (b !== 'pglite' && b !== 'postgres') throw new Error(`--backends: unknown backend ${b}`);
  return b;
});

const result = await runApiBench({
  backends,
  connections,
  durationSeconds: positive('duration', values.duration ?? ''),
  workspaces: positive('workspaces', values.workspaces ?? ''),
  countedRequests: positive('counted', values.counted ?? ''),
  log: (line) => process.stderr.write(`bench: ${line}\n`),
});
const table = formatApiBench(result, connections);
process.stdout.write(`${table}\n`);
if (values['no-write'] !== true) {
  await writeBenchSection('api', 'API requests', table);
  process.stdout.write('\nwritten to docs/benchmarks.md\n');
}
