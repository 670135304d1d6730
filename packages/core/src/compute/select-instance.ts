/**
 * Instance selection: the cheapest instance type that meets every bound of a compute
 * context and is offered in at least one of the workspace's subnet zones, the next
 * cheapest fitting types as fallbacks (for capacity errors), and an explanation of every
 * candidate considered.
 */
import { ValidationError } from '../errors.ts';
import type { ComputeContext } from './compute-context.ts';
import type { InstanceTypeFacts, SubnetPlacement, ZoneOfferings } from './instance-catalog.ts';
import { priceOf, type PriceTable } from './price-table.ts';

/** Why a candidate was not chosen. */
export type RejectionReason =
  | 'not_requested'
  | 'too_few_cpus'
  | 'too_little_memory'
  | 'wrong_architecture'
  | 'not_offered'
  | 'no_price';

/** One instance type as selection saw it. */
export interface Candidate {
  readonly instanceType: string;
  readonly vcpus: number;
  readonly memoryGiB: number;
  readonly usdPerHour?: number;
  /** Zones of the workspace's subnets that offer it. */
  readonly zones: readonly string[];
  /** Empty when it fits; `rank` is then its place among fitting types (0 = chosen). */
  readonly rejected: readonly RejectionReason[];
  readonly rank?: number;
}

/** A fitting instance type. */
export interface FittingType {
  readonly instanceType: string;
  readonly usdPerHour: number;
  readonly zones: readonly string[];
}

/** The outcome of selection. */
export interface Selection extends FittingType {
  /** Next-cheapest fitting types, cheapest first. */
  readonly fallbacks: readonly FittingType[];
  /** One sentence: why this type. */
  readonly reason: string;
  /** Every candidate, fitting ones first in rank order, then rejected ones by name. */
  readonly candidates: readonly Candidate[];
}

/** What selection needs. */
export interface SelectionInput {
  readonly context: ComputeContext;
  readonly region: string;
  readonly catalog: readonly InstanceTypeFacts[];
  readonly subnets: readonly SubnetPlacement[];
  readonly offerings: ZoneOfferings;
  readonly prices: PriceTable;
  /** How many fallbacks to return (default 4). */
  readonly maxFallbacks?: number;
}

const gib = (mib: number): number => mib / 1024;

function archFits(t: InstanceTypeFacts, arch: ComputeContext['architecture']): boolean {
  return arch === 'any'
    ? t.architectures.includes('x86_64') || t.architectures.includes('arm64')
    : t.architectures.includes(arch);
}

/** Cheapest first; ties go to current generation, virtualised (not metal), fewer resources, name. */
function compareFitting(
  a: Candidate & FittingType,
  b: Candidate & FittingType,
  facts: Map<string, InstanceTypeFacts>,
): number {
  const fa = facts.get(a.instanceType);
  const fb = facts.get(b.instanceType);
  return (
    a.usdPerHour - b.usdPerHour ||
    Number(fb?.currentGeneration) - Number(fa?.currentGeneration) ||
    Number(fa?.bareMetal) - Number(fb?.bareMetal) ||
    a.vcpus - b.vcpus ||
    a.memoryGiB - b.memoryGiB ||
    a.instanceType.localeCompare(b.instanceType)
  );
}

/** Chooses the instance type for a context; throws ValidationError naming the field when none fits. */
export function selectInstance(input: SelectionInput): Selection {
  const { context, catalog, subnets, offerings } = input;
  const facts = new Map(catalog.map((t) => [t.instanceType, t]));
  const sizing = context.sizing;
  const candidates: Candidate[] = catalog.map((t) => {
    const rejected: RejectionReason[] = [];
    if (sizing.kind === 'instanceType') {
      if (t.instanceType !== sizing.instanceType) rejected.push('not_requested');
    } else {
      if (t.vcpus < sizing.cpus) rejected.push('too_few_cpus');
      if (gib(t.memoryMiB) < sizing.memoryGiB) rejected.push('too_little_memory');
    }
    if (!archFits(t, context.architecture)) rejected.push('wrong_architecture');
    const zones = [
      ...new Set(
        subnets
          .filter((s) => offerings.get(s.availabilityZone)?.has(t.instanceType))
          .map((s) => s.availabilityZone),
      ),
    ];
    if (zones.length === 0) rejected.push('not_offered');
    const price = priceOf(input.prices, input.region, t.instanceType);
    if (!price) rejected.push('no_price');
    return {
      instanceType: t.instanceType,
      vcpus: t.vcpus,
      memoryGiB: gib(t.memoryMiB),
      ...(price ? { usdPerHour: price.usdPerHour } : {}),
      zones,
      rejected,
    };
  });

  const fitting = candidates
    .filter((c): c is Candidate & FittingType => c.rejected.length === 0)
    .sort((a, b) => compareFitting(a, b, facts));
  const [best, ...rest] = fitting;
  if (!best) throw noFitError(input, candidates);

  const ranked = fitting.map((c, rank) => ({ ...c, rank }));
  const others = candidates
    .filter((c) => c.rejected.length > 0)
    .sort((a, b) => a.instanceType.localeCompare(b.instanceType));
  const asFitting = (c: FittingType): FittingType => ({
    instanceType: c.instanceType,
    usdPerHour: c.usdPerHour,
    zones: c.zones,
  });
  const want =
    sizing.kind === 'instanceType'
      ? `the requested type`
      : `the cheapest of ${fitting.length} types with ≥ ${sizing.cpus} vCPUs and ≥ ${sizing.memoryGiB} GiB (${context.architecture})`;
  return {
    ...asFitting(best),
    fallbacks: rest.slice(0, input.maxFallbacks ?? 4).map(asFitting),
    reason: `${best.instanceType} at $${best.usdPerHour}/hour in ${input.region} is ${want}, offered in ${best.zones.join(', ')}.`,
    candidates: [...ranked, ...others],
  };
}

function noFitError(input: SelectionInput, candidates: readonly Candidate[]): ValidationError {
  const { context, catalog } = input;
  const fail = (path: string, message: string) =>
    new ValidationError(`${path}: ${message}`, { details: [{ path, message }] });
  const sizing = context.sizing;
  const archOk = catalog.filter((t) => archFits(t, context.architecture));
  const arch = context.architecture === 'any' ? '' : ` (${context.architecture})`;
  if (sizing.kind === 'instanceType') {
    const t = catalog.find((c) => c.instanceType === sizing.instanceType);
    if (!t) return fail('instanceType', `${sizing.instanceType} does not exist in ${input.region}`);
    if (!archFits(t, context.architecture)) {
      return fail(
        'architecture',
        `${t.instanceType} is ${t.architectures.join('/')}, not ${context.architecture}`,
      );
    }
  } else {
    const maxCpu = maxBy(archOk, (t) => t.vcpus);
    const maxMem = maxBy(archOk, (t) => t.memoryMiB);
    if (!maxCpu || !maxMem)
      return fail('architecture', `no ${context.architecture} instance type in ${input.region}`);
    if (maxCpu.vcpus < sizing.cpus) {
      return fail(
        'cpus',
        `no instance type${arch} offers ${sizing.cpus} vCPUs; the largest is ${maxCpu.instanceType} with ${maxCpu.vcpus}`,
      );
    }
    if (gib(maxMem.memoryMiB) < sizing.memoryGiB) {
      return fail(
        'memory',
        `no instance type${arch} offers ${sizing.memoryGiB} GiB; the largest is ${maxMem.instanceType} with ${gib(maxMem.memoryMiB)} GiB`,
      );
    }
    const sized = candidates.filter(
      (c) =>
        !c.rejected.some(
          (r) => r === 'too_few_cpus' || r === 'too_little_memory' || r === 'wrong_architecture',
        ),
    );
    if (sized.length === 0) {
      return fail(
        'memory',
        `no instance type${arch} has both ${sizing.cpus} vCPUs and ${sizing.memoryGiB} GiB`,
      );
    }
  }
  const sized = candidates.filter(
    (c) => !c.rejected.some((r) => r !== 'not_offered' && r !== 'no_price'),
  );
  if (sized.every((c) => c.rejected.includes('not_offered'))) {
    const zones = [...new Set(input.subnets.map((s) => s.availabilityZone))].join(', ') || 'none';
    return fail(
      'subnets',
      `no fitting instance type is offered in the workspace's zones (${zones})`,
    );
  }
  return fail('instanceType', `no price is known for the fitting types in ${input.region}`);
}

function maxBy<T>(items: readonly T[], key: (t: T) => number): T | undefined {
  let best: T | undefined;
  for (const item of items) if (best === undefined || key(item) > key(best)) best = item;
  return best;
}
