/**
 * The launch benchmark: how long ferry itself adds to starting a cluster. localcloud boots
 * an instance in a configured time (`pendingMs`, the stand-in for EC2's boot); everything
 * else between the start call and the cluster answering Idle is ferry's — selection, the
 * launch job, CreateFleet, the node's worker starting and registering, the first
 * heartbeat. Clusters are started one after another on one connected workspace and each
 * is stopped before the next; the figure is (start → Idle) − pendingMs, with the cluster's
 * own event times as the breakdown.
 */
import { GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { clusters, type ClusterEvent } from '../../test/e2e/fixtures/compute-helpers.ts';
import { startConnectedWorkspace } from '../../test/e2e/fixtures/connected-workspace.ts';

export interface LaunchBenchOptions {
  /** Clusters started (one after another). */
  readonly runs: number;
  /** localcloud's configured boot time of an instance. */
  readonly pendingMs: number;
  readonly log?: (line: string) => void;
}

/** One start, in milliseconds from the start call. */
export interface LaunchRun {
  readonly toIdleMs: number;
  /** toIdleMs − pendingMs: what ferry adds. */
  readonly overheadMs: number;
  /** Each state change's time from the start call, e.g. `Starting→Idle 2150`. */
  readonly events: readonly string[];
  /** Where the time went, in ms (NaN when the node's console did not say). */
  readonly phases: LaunchPhases;
}

/**
 * The phases of one start. The boot script stamps its console lines with the seconds since
 * it began; it begins when the instance has booted (launched + pendingMs, as localcloud
 * runs user-data then).
 */
export interface LaunchPhases {
  /** Start call → instance recorded after CreateFleet (selection, launch job, CreateFleet). */
  readonly launch: number;
  /** Boot script: fetching the bundle and checking its sha256. */
  readonly download: number;
  /** Boot script: unpacking the bundle. */
  readonly unpack: number;
  /** Boot script: everything else before it starts the worker. */
  readonly script: number;
  /** The worker starting until it registered. */
  readonly worker: number;
  /** Registered → the cluster answering Idle. */
  readonly idle: number;
}

/** The `ferry-boot: [+1.23s] …` lines of a console: each message's seconds since the start. */
export function bootStamps(console: string): { at: number; message: string }[] {
  return [...console.matchAll(/^ferry-boot: \[\+(\d+\.\d+)s\] (.*)$/gm)].map((m) => ({
    at: Math.round(Number(m[1]) * 1000),
    message: m[2]!,
  }));
}

function phasesOf(
  console: string,
  pendingMs: number,
  launched: number,
  registered: number,
  idle: number,
): LaunchPhases {
  const stamps = bootStamps(console);
  const at = (re: RegExp) => stamps.find((s) => re.test(s.message))?.at ?? NaN;
  const downloading = at(/^downloading /);
  const verified = at(/^verified /);
  const installed = at(/^installed |^using the preinstalled /);
  const starting = at(/^starting the worker|^started ferry-worker/);
  const download = verified - downloading;
  const unpack = installed - verified;
  return {
    launch: launched,
    download: Number.isNaN(download) ? 0 : download,
    unpack: Number.isNaN(unpack) ? 0 : unpack,
    script:
      starting - (Number.isNaN(download) ? 0 : download) - (Number.isNaN(unpack) ? 0 : unpack),
    worker: registered - (launched + pendingMs + starting),
    idle: idle - registered,
  };
}

export interface LaunchBenchResult {
  readonly pendingMs: number;
  readonly runs: readonly LaunchRun[];
  readonly medianOverheadMs: number;
  readonly maxOverheadMs: number;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

export async function runLaunchBench(options: LaunchBenchOptions): Promise<LaunchBenchResult> {
  const log = options.log ?? (() => {});
  // The job queue polls at the product's default interval (1 s), as a real deployment does.
  const f = await startConnectedWorkspace({
    ec2: { pendingMs: options.pendingMs },
    jobsPollIntervalMs: 1000,
  });
  try {
    const api = clusters(f);
    const ec2 = f.customerEc2();
    const runs: LaunchRun[] = [];
    for (let i = 0; i < options.runs; i++) {
      const t0 = Date.now();
      const started = await api.start({ cpus: 2, memory: 4 });
      if (started.status !== 201 && started.status !== 200) {
        throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
      }
      const id = started.body.id;
      const idle = await api.waitFor(id, ['Idle'], 120_000);
      const toIdleMs = Date.now() - t0;
      const since = (at: string | null | undefined): number =>
        at ? new Date(at).getTime() - t0 : NaN;
      const node = idle.nodes[0];
      const consoleText = node
        ? Buffer.from(
            (await ec2.send(new GetConsoleOutputCommand({ InstanceId: node.instanceId }))).Output ??
              '',
            'base64',
          ).toString('utf8')
        : '';
      const history = await api.events(id);
      const phases = phasesOf(
        consoleText,
        options.pendingMs,
        since(node?.launchedAt),
        since(node?.registeredAt),
        since(history.find((e: ClusterEvent) => e.to === 'Idle')?.at),
      );
      const events = [
        ...history.map((e: ClusterEvent) => `${e.from ?? '∅'}→${e.to} ${since(e.at)}`),
        `launched ${since(node?.launchedAt)}`,
        `registered ${since(node?.registeredAt)}`,
      ];
      runs.push({ toIdleMs, overheadMs: toIdleMs - options.pendingMs, events, phases });
      log(`run ${i + 1}: Idle after ${toIdleMs} ms (${events.join(', ')})`);
      for (const line of consoleText.split('\n').filter((l) => l.startsWith('ferry-boot:')))
        log(`  ${line}`);
      await api.stop(id);
      await api.waitFor(id, ['Stopped'], 120_000);
    }
    const overheads = runs.map((r) => r.overheadMs);
    return {
      pendingMs: options.pendingMs,
      runs,
      medianOverheadMs: median(overheads),
      maxOverheadMs: Math.max(...overheads),
    };
  } finally {
    await f.stop();
  }
}

const ms = (n: number): string => (Number.isNaN(n) ? '–' : String(Math.round(n)));

/** The figures as Markdown. */
export function formatLaunchBench(r: LaunchBenchResult): string {
  return [
    `localcloud boot time (pendingMs): ${r.pendingMs} ms; ${r.runs.length} clusters started one after another.`,
    '',
    '| run | start → Idle ms | ferry overhead ms (− boot) | launch | download + sha256 | unpack | rest of the boot script | worker start → registered | registered → Idle |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.runs.map((run, i) => {
      const p = run.phases;
      return `| ${i + 1} | ${run.toIdleMs} | ${run.overheadMs} | ${[p.launch, p.download, p.unpack, p.script, p.worker, p.idle].map(ms).join(' | ')} |`;
    }),
    '',
    "Phases in ms: launch = the start call until the instance is recorded after CreateFleet (selection, the launch job, CreateFleet); then the instance boots (pendingMs, not counted); download, unpack and the rest of the boot script come from the node's console (its lines carry the seconds since the script started); the worker phase runs from the script starting the worker to the worker registering.",
    '',
    `- median overhead **${r.medianOverheadMs} ms**, max ${r.maxOverheadMs} ms (target ≤ 1,000 ms)`,
    '- `launched`: the instance recorded after CreateFleet; `registered`: the worker on the node registered with the control plane.',
  ].join('\n');
}
