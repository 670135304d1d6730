/**
 * The instance supervisor: drives state transitions on timers, runs each running instance's
 * process with its own IMDS, reacts to process exit (shutdown behaviour) and to
 * `interrupt-instance` faults, and restores instances after a restart.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cloud, Fault } from '../../core/contract.ts';
import { startImds, type Imds } from './imds.ts';
import { mintInstanceCredentials, type InstanceCredentials } from './instance-credentials.ts';
import { processSpecFromUserData, spawnInstanceProcess } from './instance-process.ts';
import {
  REASONS,
  advance,
  beginStop,
  beginTermination,
  defaultTimings,
  transitionReason,
  type Timings,
} from './lifecycle.ts';
import { releaseAddress, type Ec2Runtime } from './runtime.ts';
import type { Ec2State, InstanceRecord } from './state.ts';

export interface SupervisorOptions {
  timings?: Partial<Timings>;
  /** Lifetime of instance-profile credentials served by IMDS (AWS: about 6 hours). */
  credentialTtlMs?: number;
  /** IMDS hands out fresh credentials once the current ones expire within this margin. */
  credentialRefreshMs?: number;
  /** Where instance working directories go (default: the system temporary directory). */
  workDir?: string;
}

export interface InstanceListing {
  instanceId: string;
  accountId: string;
  region: string;
  state: string;
  instanceType: string;
  availabilityZone: string;
  privateIpAddress: string;
  publicIpAddress?: string;
  launchTime: string;
  tags: Record<string, string>;
  pid?: number;
  imdsEndpoint?: string;
  consoleFile?: string;
}

export interface Supervisor extends Ec2Runtime {
  start(cloud: Cloud): Promise<void>;
  stop(): Promise<void>;
  list(): InstanceListing[];
  /** The instance's console output (its process's stdout and stderr), last 64 KiB. */
  consoleOutput(instanceId: string): string | undefined;
}

interface Live {
  accountId: string;
  region: string;
  timer?: NodeJS.Timeout;
  child?: ChildProcess;
  exited?: Promise<void>;
  imds?: Imds;
  credentials?: InstanceCredentials;
  dir: string;
  consoleFile: string;
  /** Set while a process/IMDS start is in flight, so a second reconcile does not double-start. */
  starting?: Promise<void>;
}

export function createSupervisor(options: SupervisorOptions = {}): Supervisor {
  const timings: Timings = { ...defaultTimings, ...options.timings };
  const credentialTtlMs = options.credentialTtlMs ?? 6 * 3600_000;
  const credentialRefreshMs =
    options.credentialRefreshMs ?? Math.min(15 * 60_000, credentialTtlMs / 4);
  const root = options.workDir ?? join(tmpdir(), `localcloud-instances-${process.pid}`);
  const live = new Map<string, Live>();
  let cloud: Cloud | undefined;
  let stopped = false;

  const stateOf = (accountId: string, region: string): Ec2State | undefined => {
    const entry = cloud
      ?.stateEntries('ec2')
      .find((e) => e.accountId === accountId && e.region === region);
    return entry?.state as Ec2State | undefined;
  };

  const liveOf = (accountId: string, region: string, id: string): Live => {
    let l = live.get(id);
    if (!l) {
      const dir = join(root, id);
      l = { accountId, region, dir, consoleFile: join(dir, 'console.log') };
      live.set(id, l);
    }
    return l;
  };

  const note = (l: Live, line: string) => {
    try {
      mkdirSync(l.dir, { recursive: true });
      appendFileSync(l.consoleFile, `[localcloud] ${line}\n`);
    } catch {
      // The console file is a convenience; a full disk must not break the instance.
    }
  };

  const killProcess = (l: Live): Promise<void> => {
    const child = l.child;
    const exited = l.exited;
    l.child = undefined;
    if (!child || !exited || child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve();
    const signal = (sig: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        try {
          child.kill(sig);
        } catch {
          // already gone
        }
      }
    };
    signal('SIGTERM');
    const force = setTimeout(() => signal('SIGKILL'), timings.killGraceMs);
    force.unref();
    return exited.finally(() => clearTimeout(force));
  };

  const closeImds = async (l: Live) => {
    const imds = l.imds;
    l.imds = undefined;
    l.credentials = undefined;
    if (imds) await imds.close();
  };

  const onExit = (
    id: string,
    l: Live,
    child: ChildProcess,
    code: number | null,
    signal: string | null,
  ) => {
    note(l, `process exited (${signal ? `signal ${signal}` : `code ${String(code)}`})`);
    // The workload's end is the machine's: nothing it started outlives it (its group).
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // no process of the group is left
    }
    if (l.child !== child || stopped || !cloud) return;
    l.child = undefined;
    const state = stateOf(l.accountId, l.region);
    const inst = state?.instances[id];
    if (!inst || (inst.state !== 'running' && inst.state !== 'pending')) return;
    const now = cloud.now();
    // The process is the instance's workload: its end is a shutdown from inside the instance.
    if (inst.shutdownBehavior === 'terminate') {
      beginTermination(inst, now, timings, REASONS.instanceShutdown, 'Instance initiated');
    } else {
      beginStop(inst, now, timings, REASONS.instanceShutdown, 'Instance initiated');
    }
    cloud.markChanged();
    reconcile(l.accountId, l.region, id);
  };

  const startWorkload = async (id: string, l: Live, inst: InstanceRecord) => {
    const c = cloud;
    if (!c) return;
    mkdirSync(l.dir, { recursive: true });
    if (inst.metadataOptions.httpEndpoint === 'enabled' && !l.imds) {
      l.imds = await startImds(inst.privateIpAddress, {
        accountId: l.accountId,
        region: l.region,
        instance: () => stateOf(l.accountId, l.region)?.instances[id],
        tags: () => ({ ...stateOf(l.accountId, l.region)?.tags[id] }),
        now: () => c.now(),
        credentials: () => {
          const current = stateOf(l.accountId, l.region)?.instances[id];
          const profileArn = current?.iamInstanceProfile?.arn;
          if (!profileArn) return Promise.reject(new Error('no instance profile'));
          try {
            if (!l.credentials || l.credentials.expiresAt - c.now() <= credentialRefreshMs) {
              l.credentials = mintInstanceCredentials(
                c,
                l.accountId,
                profileArn,
                id,
                credentialTtlMs,
              );
            }
            return Promise.resolve(l.credentials);
          } catch (e) {
            return Promise.reject(e instanceof Error ? e : new Error(String(e)));
          }
        },
      });
    }
    const current = stateOf(l.accountId, l.region)?.instances[id];
    if (stopped || !current || current.state !== 'running' || l.child) return;
    const spec = processSpecFromUserData(current.userData, l.dir);
    if (typeof spec === 'string') {
      note(l, `no process started: ${spec}`);
      return;
    }
    const env: Record<string, string> = {
      AWS_REGION: l.region,
      AWS_DEFAULT_REGION: l.region,
      AWS_ENDPOINT_URL: c.baseUrl,
      AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv4',
      FERRY_INSTANCE_ID: id,
      FERRY_INSTANCE_IP: current.privateIpAddress,
    };
    if (l.imds) {
      env.AWS_EC2_METADATA_SERVICE_ENDPOINT = l.imds.endpoint;
      env.FERRY_IMDS_ENDPOINT = l.imds.endpoint;
    }
    note(l, `starting ${spec.command} ${spec.args.join(' ')}`.trim());
    let child: ChildProcess;
    try {
      child = spawnInstanceProcess(spec, l.dir, l.consoleFile, env);
    } catch (e) {
      note(l, `could not start: ${(e as Error).message}`);
      return;
    }
    l.child = child;
    l.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        note(l, `could not start: ${err.message}`);
        onExit(id, l, child, 127, null);
        resolve();
      });
      child.once('exit', (code, signal) => {
        onExit(id, l, child, code, signal);
        resolve();
      });
    });
  };

  const schedule = (accountId: string, region: string, id: string, at: number) => {
    const l = liveOf(accountId, region, id);
    if (l.timer) clearTimeout(l.timer);
    const delay = Math.max(0, at - (cloud?.now() ?? Date.now()));
    l.timer = setTimeout(() => {
      l.timer = undefined;
      tick(accountId, region, id);
    }, delay);
    l.timer.unref();
  };

  const tick = (accountId: string, region: string, id: string) => {
    if (!cloud || stopped) return;
    const state = stateOf(accountId, region);
    const inst = state?.instances[id];
    if (!state || !inst) return;
    const now = cloud.now();
    if (inst.state === 'terminated' && inst.expiresAt !== undefined && inst.expiresAt <= now) {
      delete state.instances[id];
      delete state.tags[id];
      delete state.tags[inst.rootVolume.volumeId];
      delete state.tags[inst.networkInterfaceId];
      live.delete(id);
      rmSync(join(root, id), { recursive: true, force: true });
      cloud.markChanged();
      return;
    }
    if (advance(inst, now, timings)) cloud.markChanged();
    reconcile(accountId, region, id);
  };

  /** Brings the process, IMDS and timers in line with the instance's recorded state. */
  const reconcile = (accountId: string, region: string, id: string) => {
    if (!cloud || stopped) return;
    const inst = stateOf(accountId, region)?.instances[id];
    if (!inst) return;
    const l = liveOf(accountId, region, id);
    switch (inst.state) {
      case 'pending':
        schedule(accountId, region, id, inst.transitionAt ?? cloud.now());
        break;
      case 'running':
        if (!l.child && !l.starting) {
          l.starting = startWorkload(id, l, inst)
            .catch((e: unknown) => note(l, `start failed: ${String(e)}`))
            .finally(() => {
              l.starting = undefined;
            });
        }
        break;
      case 'stopping':
      case 'shutting-down':
        void killProcess(l);
        void closeImds(l);
        schedule(accountId, region, id, inst.transitionAt ?? cloud.now());
        break;
      case 'stopped':
        void killProcess(l);
        void closeImds(l);
        break;
      case 'terminated':
        void killProcess(l);
        void closeImds(l);
        releaseAddress(cloud, inst.privateIpAddress, id);
        schedule(accountId, region, id, inst.expiresAt ?? cloud.now());
        break;
    }
  };

  const onFault = (fault: Fault) => {
    if (fault.kind !== 'interrupt-instance' || !cloud) return;
    for (const entry of cloud.stateEntries('ec2')) {
      const inst = (entry.state as Ec2State).instances?.[fault.instanceId];
      if (!inst) continue;
      if (
        beginTermination(inst, cloud.now(), timings, REASONS.spotTermination, 'Service initiated')
      ) {
        cloud.faults.fired(fault);
        cloud.markChanged();
        reconcile(entry.accountId, entry.region, fault.instanceId);
      }
    }
  };

  return {
    timings,
    instanceChanged: reconcile,
    async start(c) {
      cloud = c;
      stopped = false;
      mkdirSync(root, { recursive: true });
      c.faults.onAdded(onFault);
      const now = c.now();
      // After a restart (with --state-dir) the host "failed": instances that were pending or
      // running are recovered, as EC2's automatic recovery does (same id, addresses, tags),
      // booting again; transitions that were under way complete.
      for (const entry of c.stateEntries('ec2')) {
        const state = entry.state as Ec2State;
        for (const inst of Object.values(state.instances ?? {})) {
          if (inst.state === 'running' || inst.state === 'pending') {
            inst.state = 'pending';
            inst.transitionAt = now + timings.pendingMs;
            inst.stateTransitionReason = transitionReason(
              'Instance recovered after a host restart',
              now,
            );
          } else if (inst.state === 'stopping') {
            inst.transitionAt = now;
          } else if (inst.state === 'shutting-down') {
            inst.transitionAt = now;
          }
          reconcile(entry.accountId, entry.region, inst.instanceId);
        }
      }
      c.markChanged();
      return Promise.resolve();
    },
    async stop() {
      stopped = true;
      const waits: Promise<void>[] = [];
      for (const l of live.values()) {
        if (l.timer) clearTimeout(l.timer);
        waits.push(killProcess(l), closeImds(l));
      }
      await Promise.all(waits);
      live.clear();
      rmSync(root, { recursive: true, force: true });
    },
    list() {
      const out: InstanceListing[] = [];
      for (const entry of cloud?.stateEntries('ec2') ?? []) {
        const state = entry.state as Ec2State;
        for (const inst of Object.values(state.instances ?? {})) {
          const l = live.get(inst.instanceId);
          out.push({
            instanceId: inst.instanceId,
            accountId: entry.accountId,
            region: entry.region,
            state: inst.state,
            instanceType: inst.instanceType,
            availabilityZone: inst.availabilityZone,
            privateIpAddress: inst.privateIpAddress,
            publicIpAddress: inst.publicIpAddress,
            launchTime: new Date(inst.launchTime).toISOString(),
            tags: { ...state.tags[inst.instanceId] },
            pid: l?.child?.pid,
            imdsEndpoint: l?.imds?.endpoint,
            consoleFile: l && existsSync(l.consoleFile) ? l.consoleFile : undefined,
          });
        }
      }
      return out;
    },
    consoleOutput(instanceId) {
      const l = live.get(instanceId);
      if (!l || !existsSync(l.consoleFile)) return undefined;
      const size = statSync(l.consoleFile).size;
      const buf = readFileSync(l.consoleFile);
      return buf.subarray(Math.max(0, size - 65536)).toString('utf8');
    },
  };
}
