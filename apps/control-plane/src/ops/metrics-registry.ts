/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format (version 0.0.4) served at `/metrics`.
 */

/** Label values by label name. */
export type Labels = Readonly<Record<string, string | number>>;

/** A monotonically increasing count. */
export interface Counter {
  inc(labels?: Labels, by?: number): void;
}

/** A value that goes up and down. */
export interface Gauge {
  set(value: number, labels?: Labels): void;
  inc(labels?: Labels, by?: number): void;
  dec(labels?: Labels, by?: number): void;
}

/** A distribution of observations in cumulative buckets. */
export interface Histogram {
  observe(value: number, labels?: Labels): void;
}

/** Creates and renders metrics. Creating a metric twice with one name returns the first. */
export interface MetricsRegistry {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string): Gauge;
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram;
  /** Runs before each render, to sample values such as process memory. */
  onCollect(collect: () => void): void;
  /** The text exposition format. */
  render(): string;
}

/** Default latency buckets, in seconds. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"');
}

function labelKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const names = Object.keys(labels).sort();
  for (const n of names) if (!LABEL.test(n)) throw new Error(`invalid metric label name ${n}`);
  return names.map((n) => `${n}="${escapeLabel(String(labels[n]))}"`).join(',');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function series(name: string, key: string, extra?: string): string {
  const all = [key, extra].filter(Boolean).join(',');
  return all ? `${name}{${all}}` : name;
}

interface Metric {
  readonly type: 'counter' | 'gauge' | 'histogram';
  render(): string[];
}

/** Creates an empty registry. */
export function createMetricsRegistry(): MetricsRegistry {
  const metrics = new Map<string, Metric>();
  const collectors: (() => void)[] = [];

  function define<M extends Metric>(name: string, type: Metric['type'], make: () => M): M {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    const existing = metrics.get(name);
    if (existing) {
      if (existing.type !== type) throw new Error(`metric ${name} is a ${existing.type}`);
      return existing as M;
    }
    const m = make();
    metrics.set(name, m);
    return m;
  }

  return {
    counter(name, help) {
      return define(name, 'counter', () => {
        const values = new Map<string, number>();
        return {
          type: 'counter' as const,
          inc(labels?: Labels, by = 1) {
            if (by < 0) throw new Error(`counter ${name} cannot decrease`);
            const k = labelKey(labels);
            values.set(k, (values.get(k) ?? 0) + by);
          },
          render: () => [
            `# HELP ${name} ${help}`,
            `# TYPE ${name} counter`,
            ...[...values].map(([k, v]) => `${series(name, k)} ${formatValue(v)}`),
          ],
        };
      });
    },
    gauge(name, help) {
      return define(name, 'gauge', () => {
        const values = new Map<string, number>();
        const add = (labels: Labels | undefined, by: number) => {
          const k = labelKey(labels);
          values.set(k, (values.get(k) ?? 0) + by);
        };
        return {
          type: 'gauge' as const,
          set: (value: number, labels?: Labels) => void values.set(labelKey(labels), value),
          inc: (labels?: Labels, by = 1) => add(labels, by),
          dec: (labels?: Labels, by = 1) => add(labels, -by),
          render: () => [
            `# HELP ${name} ${help}`,
            `# TYPE ${name} gauge`,
            ...[...values].map(([k, v]) => `${series(name, k)} ${formatValue(v)}`),
          ],
        };
      });
    },
    histogram(name, help, buckets = DEFAULT_BUCKETS) {
      const bounds = [...buckets].sort((a, b) => a - b);
      return define(name, 'histogram', () => {
        const values = new Map<string, { counts: number[]; sum: number; count: number }>();
        return {
          type: 'histogram' as const,
          observe(value: number, labels?: Labels) {
            const k = labelKey(labels);
            let h = values.get(k);
            if (!h) {
              h = { counts: bounds.map(() => 0), sum: 0, count: 0 };
              values.set(k, h);
            }
            for (let i = 0; i < bounds.length; i++) {
              if (value <= (bounds[i] ?? Infinity)) h.counts[i] = (h.counts[i] ?? 0) + 1;
            }
            h.sum += value;
            h.count += 1;
          },
          render: () => [
            `# HELP ${name} ${help}`,
            `# TYPE ${name} histogram`,
            ...[...values].flatMap(([k, h]) => [
              ...bounds.map(
                (b, i) =>
                  `${series(`${name}_bucket`, k, `le="${formatValue(b)}"`)} ${h.counts[i] ?? 0}`,
              ),
              `${series(`${name}_bucket`, k, 'le="+Inf"')} ${h.count}`,
              `${series(`${name}_sum`, k)} ${formatValue(h.sum)}`,
              `${series(`${name}_count`, k)} ${h.count}`,
            ]),
          ],
        };
      });
    },
    onCollect(collect) {
      collectors.push(collect);
    },
    render() {
      for (const c of collectors) c();
      return [...metrics.values()].flatMap((m) => m.render()).join('\n') + '\n';
    },
  };
}
