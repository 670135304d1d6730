/**
 * `npm run bench:memory`: the control plane's idle memory on PGlite and PostgreSQL against
 * bare Fastify, and the marginal cost of each large import. Flags: --backends
 * pglite,postgres --no-write.
 */
import { parseArgs } from 'node:util';
import { writeBenchSection } from '../bench-report.ts';
import { formatMemoryBench, runMemoryBench, type MemoryBackend } from './memory-bench.ts';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'pglite,postgres' },
    'no-write': { type: 'boolean', default: false },
  },
});
const backends = (values.backends ?? '').split(',').map((b): MemoryBackend => {
  if (b !== 'pglite' && b !== 'postgres') throw new Error(`--backends: unknown backend ${b}`);
  return b;
});
const result = await runMemoryBench({ backends, log: (l) => console.error(l) });
const table = formatMemoryBench(result);
console.log(table);
if (!values['no-write']) {
  await writeBenchSection('memory', 'Memory at idle', '```\n' + table + '\n```');
}
