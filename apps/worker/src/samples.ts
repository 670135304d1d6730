/**
 * CPU, memory and disk use of the node, as percentages. CPU is the busy share of all cores
 * between two samples (os.cpus() counters are cumulative since boot); memory counts what
 * the kernel reports as not available; disk is the filesystem of the working directory,
 * measured like `df` (used over used + available to unprivileged users).
 */
import { statfs } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';

export interface Sample {
  /** ISO 8601 time of the sample. */
  readonly at: string;
  readonly cpuPercent: number;
  readonly memoryPercent: number;
  readonly diskPercent: number;
}

interface CpuTotals {
  readonly busy: number;
  readonly total: number;
}

function cpuTotals(): CpuTotals {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

const percent = (part: number, whole: number) =>
  whole > 0 ? Math.round(Math.min(100, Math.max(0, (part / whole) * 100)) * 10) / 10 : 0;

export interface Sampler {
  /** One sample; CPU covers the time since the previous sample (or the sampler's creation). */
  sample(): Promise<Sample>;
}

export function createSampler(options: { dir: string; now: () => number }): Sampler {
  let previous = cpuTotals();
  return {
    async sample() {
      const current = cpuTotals();
      const cpuPercent = percent(current.busy - previous.busy, current.total - previous.total);
      previous = current;
      const total = totalmem();
      const memoryPercent = percent(total - freemem(), total);
      const fs = await statfs(options.dir);
      const used = (fs.blocks - fs.bfree) * fs.bsize;
      const available = fs.bavail * fs.bsize;
      const diskPercent = percent(used, used + available);
      return {
        at: new Date(options.now()).toISOString(),
        cpuPercent,
        memoryPercent,
        diskPercent,
      };
    },
  };
}
