/** Process metrics in the names Prometheus' client libraries use. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MetricsRegistry } from './metrics-registry.ts';

/** Registers process metrics, sampled at each scrape; returns a function that stops sampling. */
export function registerProcessMetrics(metrics: MetricsRegistry): () => void {
  const cpu = metrics.gauge(
    'process_cpu_seconds_total',
    'User and system CPU time spent, in seconds.',
  );
  const rss = metrics.gauge('process_resident_memory_bytes', 'Resident memory size, in bytes.');
  const heap = metrics.gauge('nodejs_heap_used_bytes', 'V8 heap in use, in bytes.');
  const start = metrics.gauge(
    'process_start_time_seconds',
    'Start time of the process, in Unix seconds.',
  );
  const lag = metrics.gauge(
    'nodejs_eventloop_lag_p99_seconds',
    'Event loop delay, 99th percentile, in seconds.',
  );
  const handles = metrics.gauge(
    'nodejs_active_resources',
    'Active libuv resources keeping the loop alive.',
  );
  const startedAt = Date.now() / 1000 - process.uptime();
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  metrics.onCollect(() => {
    const u = process.cpuUsage();
    cpu.set((u.user + u.system) / 1e6);
    const mem = process.memoryUsage();
    rss.set(mem.rss);
    heap.set(mem.heapUsed);
    start.set(Math.round(startedAt));
    lag.set(loop.percentile(99) / 1e9);
    handles.set(process.getActiveResourcesInfo().length);
  });
  return () => loop.disable();
}
