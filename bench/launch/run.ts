/**
 * `npm run bench:launch`: what ferry adds to a cluster start beyond the instance's boot.
 * Flags: --runs 5 --pending-ms 2000 --no-write.
 */
import { parseArgs } from 'node:util';
import { writeBenchSection } from '../bench-report.ts';
import { formatLaunchBench, runLaunchBench } from './launch-bench.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'pending-ms': { type: 'string', default: '2000' },
    'no-write': { type: 'boolean', default: false },
  },
});
const int = (flag: string, raw: string | undefined): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: expected a positive integer`);
  return n;
};
const result = await runLaunchBench({
  runs: int('runs', values.runs),
  pendingMs: int('pending-ms', values['pending-ms']),
  log: (line) => process.stderr.write(`bench: ${line}\n`),
});
const table = formatLaunchBench(result);
process.stdout.write(`${table}\n`);
if (values['no-write'] !== true) await writeBenchSection('launch', 'Launch overhead', table);
