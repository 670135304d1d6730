/**
 * How `ferry compute` shows clusters, selections, events, logs and manifests as text: plain
 * aligned tables, one fact per line, nothing that needs a terminal.
 */
import type { CallOutput } from '@ferry/api';

/** A cluster as the API returns it. */
export type Cluster = CallOutput<'compute.get'>;
/** A cluster's selection explanation. */
export type Selection = NonNullable<Cluster['selection']>;
/** One state change of a cluster. */
export type ClusterEvent = CallOutput<'compute.events'>['items'][number];
/** One node log line. */
export type LogLine = CallOutput<'compute.logs'>['items'][number];
/** A registered manifest. */
export type Manifest = CallOutput<'manifests.get'>;

/** Aligns rows under a header; every cell is already a string. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** Dollars with enough digits for hourly prices of small instances. */
export function usd(value: number | null | undefined): string {
  if (value === null || value === undefined) return '-';
  return `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}`;
}

function sizing(c: Cluster): string {
  if (c.requestedInstanceType !== null) return `instance type ${c.requestedInstanceType}`;
  return `≥ ${c.cpus ?? '?'} vCPUs, ≥ ${c.memory ?? '?'} GiB memory, ${c.architecture}`;
}

/** How many candidates `start` prints besides the chosen one. */
export const TOP_CANDIDATES = 5;

/** The chosen type, the reason, the top fitting candidates and what was rejected why. */
export function formatSelection(s: Selection, top = TOP_CANDIDATES): string {
  const fitting = s.candidates.filter((c) => c.rejected.length === 0);
  const rejected = s.candidates.filter((c) => c.rejected.length > 0);
  let out = `  why:           ${s.reason}\n`;
  out += `  candidates (${fitting.length} fit, cheapest first):\n`;
  out += indent(
    table(
      ['RANK', 'TYPE', 'VCPUS', 'MEMORY GiB', '$/HOUR', 'ZONES'],
      fitting
        .slice(0, top)
        .map((c) => [
          String(c.rank ?? '-'),
          c.instanceType === s.instanceType ? `${c.instanceType} ←` : c.instanceType,
          String(c.vcpus),
          String(c.memoryGiB),
          usd(c.usdPerHour),
          c.zones.join(','),
        ]),
    ),
    4,
  );
  if (fitting.length > top) out += `    … and ${fitting.length - top} more that fit\n`;
  if (rejected.length > 0) {
    const counts = new Map<string, number>();
    for (const c of rejected) for (const r of c.rejected) counts.set(r, (counts.get(r) ?? 0) + 1);
    const why = [...counts].map(([r, n]) => `${r} ${n}`).join(', ');
    out += `  rejected: ${rejected.length} types (${why})\n`;
  }
  if (s.fallbacks.length > 0) {
    out += `  fallbacks on capacity errors: ${s.fallbacks.map((f) => `${f.instanceType} ${usd(f.usdPerHour)}`).join(', ')}\n`;
  }
  return out;
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n');
}

/** The headline of a cluster: id, state and why it ended. */
export function formatHeadline(c: Cluster): string {
  const ended = c.reason !== null ? ` (${c.reason})` : '';
  const error = c.error !== null ? ` — ${c.error.code}: ${c.error.message}` : '';
  return `cluster ${c.id}  ${c.state}${ended}${error}\n`;
}

/** What `start` prints: the cluster, its type and price, and why that type. */
export function formatStarted(c: Cluster & { reused?: boolean }): string {
  let out = formatHeadline(c);
  if (c.reused === true)
    out += `  reused:        the live cluster of manifest ${c.manifest ?? ''} (no new cluster)\n`;
  out += `  asked for:     ${sizing(c)}; ${c.clusterSize} node(s), ${c.storage} GiB storage, ${c.connectionMode}, idle timeout ${c.idleTimeoutMins} min\n`;
  out += `  instance type: ${c.instanceType ?? '-'} at ${usd(c.usdPerHour)}/hour per node\n`;
  if (c.selection !== null) out += formatSelection(c.selection);
  return out;
}

/** The nodes of a cluster as a table. */
export function formatNodes(c: Cluster): string {
  if (c.nodes.length === 0) return '  nodes: none yet\n';
  return `  nodes:\n${indent(
    table(
      ['INSTANCE', 'TYPE', 'ZONE', 'IP', 'EC2', 'AGENT', 'LAUNCHED', 'LAST HEARTBEAT'],
      c.nodes.map((n) => [
        n.instanceId,
        n.instanceType,
        n.availabilityZone ?? '-',
        n.privateIp ?? '-',
        n.ec2State,
        n.agentState ?? '-',
        n.launchedAt,
        n.lastHeartbeatAt ?? '-',
      ]),
    ),
    4,
  )}`;
}

/** State changes, oldest first. */
export function formatEvents(events: readonly ClusterEvent[]): string {
  if (events.length === 0) return '  events: none\n';
  // A node's console output spans many lines: the table names it, the text follows it.
  const consoles = events.filter((e) => e.event === 'console_output' && e.message !== null);
  let out = `  recent events:\n${indent(
    table(
      ['AT', 'FROM', 'TO', 'EVENT', 'MESSAGE'],
      events.map((e) => [
        e.at,
        e.from ?? '-',
        e.to,
        e.event,
        consoles.includes(e) ? (e.message?.split('\n')[0] ?? '') : (e.message ?? ''),
      ]),
    ),
    4,
  )}`;
  for (const e of consoles) {
    const [title = '', ...lines] = (e.message ?? '').split('\n');
    out += `  ${title}\n${lines.map((l) => `    | ${l}`).join('\n')}\n`;
  }
  return out;
}

/** What `status` prints: state, type, price, cost, nodes and recent events. */
export function formatStatus(c: Cluster, events: readonly ClusterEvent[]): string {
  let out = formatHeadline(c);
  const labels = Object.entries(c.labels).map(([k, v]) => `${k}=${v}`);
  out += `  manifest:      ${c.manifest ?? '-'}\n`;
  out += `  region:        ${c.region}\n`;
  out += `  asked for:     ${sizing(c)}\n`;
  out += `  instance type: ${c.instanceType ?? '-'} at ${usd(c.usdPerHour)}/hour per node\n`;
  out += `  running cost:  ${usd(c.runningCostUsd)}\n`;
  out += `  size:          ${c.clusterSize} node(s), ${c.storage} GiB storage each, ${c.connectionMode}, idle timeout ${c.idleTimeoutMins} min\n`;
  out += `  labels:        ${labels.length > 0 ? labels.join(', ') : '-'}\n`;
  out += `  started:       ${c.createdAt} by ${c.startedBy.kind} ${c.startedBy.id}\n`;
  out += `  last activity: ${c.lastActivityAt}\n`;
  if (c.stoppedAt !== null) out += `  stopped:       ${c.stoppedAt}\n`;
  if (c.selection !== null) out += `  why this type: ${c.selection.reason}\n`;
  out += formatNodes(c);
  out += formatEvents(events);
  return out;
}

/** What `list` prints: one line per cluster. */
export function formatClusterList(clusters: readonly Cluster[]): string {
  if (clusters.length === 0) return 'no clusters\n';
  return table(
    ['ID', 'STATE', 'TYPE', 'NODES', '$/HOUR', 'COST', 'MANIFEST', 'CREATED'],
    clusters.map((c) => [
      c.id,
      c.reason !== null ? `${c.state} (${c.reason})` : c.state,
      c.instanceType ?? '-',
      `${c.nodes.filter((n) => n.terminatedAt === null).length}/${c.clusterSize}`,
      usd(c.usdPerHour),
      usd(c.runningCostUsd),
      c.manifest ?? '-',
      c.createdAt,
    ]),
  );
}

/** One log line as `logs` prints it. */
export function formatLogLine(l: LogLine): string {
  return `${l.at} ${l.instanceId} ${l.stream.padEnd(6)} ${l.line}\n`;
}

/** A manifest's spec as flags-like text. */
export function formatSpec(spec: Manifest['spec']): string {
  const parts = Object.entries(spec).map(([k, v]) =>
    typeof v === 'object'
      ? `${k}=${Object.entries(v)
          .map(([lk, lv]) => `${lk}:${lv}`)
          .join(',')}`
      : `${k}=${String(v)}`,
  );
  return parts.length > 0 ? parts.join(' ') : '(defaults)';
}

/** What `manifest list` prints. */
export function formatManifestList(manifests: readonly Manifest[]): string {
  if (manifests.length === 0) return 'no manifests\n';
  return table(
    ['NAME', 'LIVE CLUSTER', 'SPEC', 'UPDATED'],
    manifests.map((m) => [m.name, m.liveClusterId ?? '-', formatSpec(m.spec), m.updatedAt]),
  );
}

/** What `manifest get|put` prints. */
export function formatManifest(m: Manifest): string {
  return [
    `manifest ${m.name}`,
    `  spec:          ${formatSpec(m.spec)}`,
    `  live cluster:  ${m.liveClusterId ?? '-'}`,
    `  created:       ${m.createdAt}`,
    `  updated:       ${m.updatedAt}`,
    '',
  ].join('\n');
}
