/** How `ferry query` prints queries, results and profiles for people. */
import type { QueryProfileView, QueryView } from '@ferry/api';

const usd = (v: number | null): string => (v === null ? '-' : `$${v.toFixed(6)}`);
const ms = (a: string | null, b: string | null): string =>
  a === null || b === null ? '-' : `${Date.parse(b) - Date.parse(a)} ms`;

/** One query as a few lines. */
export function formatQuery(q: QueryView): string {
  const lines = [
    `query ${q.id}  ${q.state}  (${q.mode}, ${q.kind})`,
    `  cluster:  ${q.clusterId}${q.instanceId !== null ? ` on ${q.instanceId}` : ''}`,
    `  queued:   ${q.queuedAt}`,
    `  ran:      ${ms(q.startedAt, q.finishedAt)}`,
    `  rows:     ${q.rowCount ?? '-'}   bytes: ${q.bytes ?? '-'}`,
    `  location: ${q.location ?? '-'}`,
    `  cost:     ${usd(q.costUsd)}`,
  ];
  if (Object.keys(q.labels).length > 0)
    lines.push(
      `  labels:   ${Object.entries(q.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
    );
  if (q.error !== null) lines.push(`  error:    ${q.error.code}: ${q.error.message}`);
  return `${lines.join('\n')}\n`;
}

/** Queries as a table, newest first. */
export function formatQueryList(items: readonly QueryView[]): string {
  if (items.length === 0) return 'no queries\n';
  const rows = items.map((q) => [
    q.id,
    q.state,
    q.mode,
    q.kind,
    q.clusterId,
    String(q.rowCount ?? '-'),
    ms(q.startedAt, q.finishedAt),
    q.queuedAt,
  ]);
  const head = ['ID', 'STATE', 'MODE', 'KIND', 'CLUSTER', 'ROWS', 'RAN', 'QUEUED'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${[head, ...rows].map(line).join('\n')}\n`;
}

/** A profile: phases, totals and cost. */
export function formatProfile(p: QueryProfileView): string {
  const phases = Object.entries(p.phases).filter(([, v]) => v !== undefined);
  const lines = [`profile of ${p.queryId}  ${p.state}`];
  for (const [name, value] of phases)
    lines.push(`  ${name.replace(/Ms$/, '').padEnd(22)} ${value} ms`);
  if (p.engine !== undefined) lines.push(`  engine:                ${p.engine}`);
  lines.push(`  total (queued→done):   ${p.totalMs ?? '-'} ms`);
  if (p.samples.length > 0) {
    const cpu = Math.max(...p.samples.map((s) => s.cpuPercent));
    const mem = Math.max(...p.samples.map((s) => s.memoryUsedBytes));
    lines.push(
      `  node peak:             ${cpu.toFixed(0)}% CPU, ${(mem / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  lines.push(`  cost:                  ${usd(p.costUsd)}`);
  return `${lines.join('\n')}\n`;
}
