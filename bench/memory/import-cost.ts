/**
 * Run as its own process: imports each module named on the command line in turn and prints,
 * as one JSON line, what each added to resident memory and to the V8 heap (after a GC), so
 * a module's figure is its marginal cost on top of the ones before it.
 */
const gc = (globalThis as { gc?: () => void }).gc;
const mib = (n: number): number => Math.round((n / 2 ** 20) * 10) / 10;
const out: { module: string; rssMiB: number; heapMiB: number }[] = [];
gc?.();
const start = process.memoryUsage();
let before = start;
for (const spec of process.argv.slice(2)) {
  await import(spec);
  gc?.();
  const after = process.memoryUsage();
  out.push({
    module: spec,
    rssMiB: mib(after.rss - before.rss),
    heapMiB: mib(after.heapUsed - before.heapUsed),
  });
  before = after;
}
console.log(JSON.stringify({ startRssMiB: mib(start.rss), imports: out }));
