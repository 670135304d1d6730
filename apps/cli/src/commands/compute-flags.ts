/**
 * Flags of `ferry compute start` and `manifest put` → the compute context the API takes.
 * Only the shape is checked here (numbers are numbers, labels are key=value); bounds and
 * fit are the server's to judge, so its errors name the field whatever the client.
 */
import { InvalidArgumentError } from 'commander';
import type { CallInput } from '@ferry/api';

/** The context flags, as commander parses them. */
export interface ContextFlags {
  cpus?: number;
  memory?: number;
  instanceType?: string;
  storage?: number;
  clusterSize?: number;
  connectionMode?: 'direct' | 'proxy';
  idleTimeout?: number;
  label?: string[];
  architecture?: 'x86_64' | 'arm64' | 'any';
}

/** The body of `compute.start`. */
export type StartBody = CallInput<'compute.start'>['body'];
/** The body of `manifests.put`. */
export type ManifestBody = CallInput<'manifests.put'>['body'];

/** Commander parser of an integer flag. */
export function integer(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}

/** Commander parser of a whole-number flag with a lower bound (`--limit 0` is a usage error). */
export function integerAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = integer(value);
    if (n < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}`);
    return n;
  };
}

/** Commander parser of a number flag (GiB may be fractional, e.g. 0.5). */
export function decimal(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError('expected a number');
  return n;
}

/** Commander collector of a repeatable `--label key=value`. */
export function collectLabel(value: string, previous: string[] | undefined): string[] {
  if (!/^[^=]+=/.test(value)) throw new InvalidArgumentError('expected key=value');
  return [...(previous ?? []), value];
}

/** `['team=data', 'env=dev']` → `{ team: 'data', env: 'dev' }`; the last of a key wins. */
export function parseLabels(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    labels[v.slice(0, i)] = v.slice(i + 1);
  }
  return labels;
}

/** The context fields the flags set (none set → an empty object: every default). */
export function contextFromFlags(flags: ContextFlags): ManifestBody {
  return {
    ...(flags.cpus !== undefined ? { cpus: flags.cpus } : {}),
    ...(flags.memory !== undefined ? { memory: flags.memory } : {}),
    ...(flags.instanceType !== undefined ? { instanceType: flags.instanceType } : {}),
    ...(flags.storage !== undefined ? { storage: flags.storage } : {}),
    ...(flags.clusterSize !== undefined ? { clusterSize: flags.clusterSize } : {}),
    ...(flags.connectionMode !== undefined ? { connectionMode: flags.connectionMode } : {}),
    ...(flags.idleTimeout !== undefined ? { idleTimeoutMins: flags.idleTimeout } : {}),
    ...(flags.label !== undefined ? { labels: parseLabels(flags.label) } : {}),
    ...(flags.architecture !== undefined ? { architecture: flags.architecture } : {}),
  };
}

/** The start body: the context, or a manifest name (the server rejects both together). */
export function startBody(flags: ContextFlags & { manifest?: string }): StartBody {
  return {
    ...contextFromFlags(flags),
    ...(flags.manifest !== undefined ? { manifest: flags.manifest } : {}),
  };
}
