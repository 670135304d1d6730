/**
 * `npm run bench:setup`: from the customer's stack's last resource to the workspace Active,
 * against CloudFormation's own completion in the same run. Flags: --runs 5 --no-write.
 */
import { parseArgs } from 'node:util';
import { writeBenchSection } from '../bench-report.ts';
import { formatSetupBench, runSetupBench } from './setup-bench.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'no-write': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs: expected a positive integer');
const result = await runSetupBench({ runs, log: (l) => process.stderr.write(`bench: ${l}\n`) });
const table = formatSetupBench(result);
process.stdout.write(`${table}\n`);
if (values['no-write'] !== true) await writeBenchSection('setup', 'Workspace setup', table);
