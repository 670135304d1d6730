/**
 * `npm run bench:reconcile`: AWS calls per reconcile cycle and cycle time for 10,000
 * clusters across 1,000 workspaces, each in its own account, on localcloud, against a
 * baseline measured in the same run. Sizes are flags: --workspaces 1000 --clusters 10000
 * --base-workspaces 100 --base-clusters 1000 --cycles 3 --connect-concurrency 10
 * --shared-account --no-write (figures also go to docs/benchmarks.md unless --no-write).
 */
import { parseArgs } from 'node:util';
import { writeBenchSection } from '../bench-report.ts';
import { formatBench, runReconcileBench } from './reconcile-bench.ts';

const { values } = parseArgs({
  options: {
    workspaces: { type: 'string', default: '1000' },
    clusters: { type: 'string', default: '10000' },
    'base-workspaces': { type: 'string', default: '100' },
    'base-clusters': { type: 'string', default: '1000' },
    cycles: { type: 'string', default: '3' },
    'connect-concurrency': { type: 'string', default: '10' },
    'shared-account': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});

const int = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer`);
  return n;
};

const started = performance.now();
const result = await runReconcileBench({
  workspaces: int('workspaces'),
  clusters: int('clusters'),
  baseWorkspaces: int('base-workspaces'),
  baseClusters: int('base-clusters'),
  cycles: int('cycles'),
  connectConcurrency: int('connect-concurrency'),
  sharedAccount: values['shared-account'] === true,
  log: (line) => process.stderr.write(`bench: ${line}\n`),
});
const table = formatBench(result);
process.stdout.write(`${table}\n`);
if (values['no-write'] !== true) await writeBenchSection('reconcile', 'Reconcile cycle', table);
process.stdout.write(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
