/**
 * `docs/benchmarks.md` holds one section per benchmark, each replaced by its own run and
 * stamped with the machine it ran on, so benches can run alone or all together.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCHMARKS_DOC = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '..'),
  'docs/benchmarks.md',
);

const HEADER = `# Benchmarks

Written by \`npm run bench\` (each \`npm run bench:<name>\` rewrites its own section). Every
figure is compared with a baseline measured in the same run on the same machine; targets
and what the figures mean are in each bench's README under \`bench/\`.
`;

/**
 * One line describing the machine a bench ran on, with its load average when the figures
 * were written: on a shared machine the load says how much of it the bench had.
 */
export function machineDescription(): string {
  const cpu = cpus();
  const model = cpu[0]?.model.trim() ?? 'unknown CPU';
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(', ');
  return `${cpu.length} × ${model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}, Node ${process.version}, load average ${load} (1, 5, 15 min)`;
}

/** Replaces (or appends) the section `name` of docs/benchmarks.md. */
export async function writeBenchSection(name: string, title: string, body: string): Promise<void> {
  const current = await readFile(BENCHMARKS_DOC, 'utf8').catch(() => HEADER);
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const stamp = new Date().toISOString().slice(0, 10);
  const section = `${begin}\n## ${title}\n\n_${stamp}, ${machineDescription()}._\n\n${body.trim()}\n${end}`;
  const start = current.indexOf(begin);
  const stop = current.indexOf(end);
  const next =
    start >= 0 && stop > start
      ? current.slice(0, start) + section + current.slice(stop + end.length)
      : `${current.trimEnd()}\n\n${section}\n`;
  await writeFile(BENCHMARKS_DOC, next);
}
