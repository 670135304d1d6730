/**
 * A compute context: what a user asks for when starting a cluster. Either lower bounds
 * (`cpus`, `memory` in GiB) that selection turns into the cheapest fitting instance type,
 * or an explicit `instanceType`. The normaliser fills the defaults and rejects bad input
 * with a ValidationError whose details name each field.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.ts';

/** CPU architectures a context may ask for. */
export const ARCHITECTURES = ['x86_64', 'arm64', 'any'] as const;
/** A requested architecture. */
export type Architecture = (typeof ARCHITECTURES)[number];

/** How clients reach the cluster: directly on its port, or relayed by the control plane. */
export const CONNECTION_MODES = ['direct', 'proxy'] as const;
/** A connection mode. */
export type ConnectionMode = (typeof CONNECTION_MODES)[number];

/** Defaults and bounds of a compute context. */
export const COMPUTE_LIMITS = {
  defaultCpus: 2,
  defaultMemoryGiB: 8,
  maxCpus: 1024,
  maxMemoryGiB: 65536,
  defaultStorageGiB: 32,
  minStorageGiB: 8,
  maxStorageGiB: 16384,
  defaultClusterSize: 1,
  maxClusterSize: 256,
  defaultIdleTimeoutMins: 60,
  minIdleTimeoutMins: 10,
  maxIdleTimeoutMins: 7 * 24 * 60,
  maxLabels: 40,
  maxLabelKeyLength: 128,
  maxLabelValueLength: 256,
  maxNameLength: 64,
} as const;

/** How the cluster's nodes are sized. */
export type Sizing =
  | { readonly kind: 'bounds'; readonly cpus: number; readonly memoryGiB: number }
  | { readonly kind: 'instanceType'; readonly instanceType: string };

/** A normalised compute context: every default filled, every bound checked. */
export interface ComputeContext {
  readonly sizing: Sizing;
  readonly architecture: Architecture;
  readonly storageGiB: number;
  readonly clusterSize: number;
  readonly connectionMode: ConnectionMode;
  readonly idleTimeoutMins: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly name?: string;
}

/** Options of the normaliser. */
export interface ComputeContextOptions {
  /** The workspace's default idle timeout, used when the context gives none. */
  readonly workspaceIdleTimeoutMins?: number;
  /** Lowest idle timeout accepted; production keeps 10, tests may lower it. */
  readonly minIdleTimeoutMins?: number;
}

// Tag-like: what EC2 accepts in a tag, minus the reserved prefixes.
const LABEL_CHARS = /^[\p{L}\p{N}\s_.:/=+\-@]*$/u;
const labelKey = z
  .string()
  .min(1)
  .max(COMPUTE_LIMITS.maxLabelKeyLength)
  .regex(LABEL_CHARS, 'letters, digits, spaces and _ . : / = + - @ only')
  .refine((k) => !/^(aws|ferry):/i.test(k), 'the prefixes aws: and ferry: are reserved');
const labelValue = z
  .string()
  .max(COMPUTE_LIMITS.maxLabelValueLength)
  .regex(LABEL_CHARS, 'letters, digits, spaces and _ . : / = + - @ only');

/** The schema of a compute context as clients send it (before defaults). */
export function computeContextSchema(
  minIdleTimeoutMins: number = COMPUTE_LIMITS.minIdleTimeoutMins,
) {
  const L = COMPUTE_LIMITS;
  return z
    .strictObject({
      cpus: z.number().int().min(1).max(L.maxCpus).optional(),
      memory: z.number().positive().max(L.maxMemoryGiB).optional(),
      instanceType: z
        .string()
        .regex(/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/, 'must look like m7i.large')
        .max(64)
        .optional(),
      storage: z.number().int().min(L.minStorageGiB).max(L.maxStorageGiB).optional(),
      clusterSize: z.number().int().min(1).max(L.maxClusterSize).optional(),
      connectionMode: z.enum(CONNECTION_MODES).optional(),
      idleTimeoutMins: z
        .number()
        .int()
        .min(minIdleTimeoutMins)
        .max(L.maxIdleTimeoutMins)
        .optional(),
      labels: z
        .record(labelKey, labelValue)
        .refine((r) => Object.keys(r).length <= L.maxLabels, `at most ${L.maxLabels} labels`)
        .optional(),
      architecture: z.enum(ARCHITECTURES).optional(),
      name: z
        .string()
        .min(1)
        .max(L.maxNameLength)
        .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and - only')
        .optional(),
    })
    .superRefine((v, ctx) => {
      if (v.instanceType !== undefined && (v.cpus !== undefined || v.memory !== undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['instanceType'],
          message: 'give either instanceType or cpus/memory, not both',
        });
      }
    });
}

/** The input shape of a compute context. */
export type ComputeContextInput = z.input<ReturnType<typeof computeContextSchema>>;

/** Validates `input` and fills the defaults; throws ValidationError naming each bad field. */
export function normalizeComputeContext(
  input: unknown,
  options: ComputeContextOptions = {},
): ComputeContext {
  const min = options.minIdleTimeoutMins ?? COMPUTE_LIMITS.minIdleTimeoutMins;
  const parsed = computeContextSchema(min).safeParse(input ?? {});
  if (!parsed.success) {
    const details = parsed.error.issues.flatMap((i) =>
      // An unknown field is named itself, not its parent object.
      i.code === 'unrecognized_keys'
        ? i.keys.map((k) => ({ path: [...i.path, k].join('.'), message: 'unknown field' }))
        : [{ path: i.path.map(String).join('.') || 'context', message: i.message }],
    );
    throw new ValidationError(details.map((d) => `${d.path}: ${d.message}`).join('; '), {
      details,
    });
  }
  const v = parsed.data;
  const idle =
    v.idleTimeoutMins ?? options.workspaceIdleTimeoutMins ?? COMPUTE_LIMITS.defaultIdleTimeoutMins;
  const sizing: Sizing =
    v.instanceType !== undefined
      ? { kind: 'instanceType', instanceType: v.instanceType }
      : {
          kind: 'bounds',
          cpus: v.cpus ?? COMPUTE_LIMITS.defaultCpus,
          memoryGiB: v.memory ?? COMPUTE_LIMITS.defaultMemoryGiB,
        };
  return {
    sizing,
    architecture: v.architecture ?? 'any',
    storageGiB: v.storage ?? COMPUTE_LIMITS.defaultStorageGiB,
    clusterSize: v.clusterSize ?? COMPUTE_LIMITS.defaultClusterSize,
    connectionMode: v.connectionMode ?? 'direct',
    // A workspace default below the floor is raised to it rather than silently accepted.
    idleTimeoutMins: Math.max(idle, min),
    labels: v.labels ?? {},
    ...(v.name !== undefined ? { name: v.name } : {}),
  };
}
