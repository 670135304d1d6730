/**
 * `npm run bench:query`: the same queries in process and through ferry in direct and proxy
 * mode. Flags: --runs 5 --rows 10000000 --result-rows 1000000 --no-write.
 */
import { parseArgs } from 'node:util';
import { writeBenchSection } from '../bench-report.ts';
import { formatQueryBench, runQueryBench } from './query-bench.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    rows: { type: 'string', default: '10000000' },
    'result-rows': { type: 'string', default: '1000000' },
    'no-write': { type: 'boolean', default: false },
  },
});
const int = (flag: string, raw: string | undefined): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag}: expected a positive integer`);
  return n;
};
const result = await runQueryBench({
  runs: int('runs', values.runs),
  rows: int('rows', values.rows),
  resultRows: int('result-rows', values['result-rows']),
  log: (line) => process.stderr.write(`bench: ${line}\n`),
});
const table = formatQueryBench(result);
process.stdout.write(`${table}\n`);
if (values['no-write'] !== true) await writeBenchSection('query', 'Query overhead', table);
