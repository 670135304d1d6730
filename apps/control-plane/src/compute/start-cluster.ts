/**
 * Starting a cluster: the workspace must be connected; the context comes from the body or a
 * named manifest (never both); selection runs now, so "nothing fits" is the caller's 400;
 * then the Starting row, its first event and the launch job are written in one
 * transaction. A live cluster of the same manifest is returned instead (`reused`), and the
 * partial unique index `clusters_live_manifest` settles concurrent starts of one manifest.
 */
import type { Cluster } from '@ferry/api';
import { computeContextBodySchema } from '@ferry/api';
import { newId, ValidationError, type ComputeContext, type Selection } from '@ferry/core';
import type { BrokerActor } from '../aws/credential-broker.ts';
import type { Database } from '../db/database.ts';
import type { Kysely } from 'kysely';
import type { RunInTransaction } from '../http/request-transaction.ts';
import type { Resources } from '../resources.ts';
import type { ClusterRow } from './cluster-transitions.ts';
import { clusterViews } from './cluster-view.ts';
import { launchClusterJob } from './compute-job-types.ts';
import { chooseInstanceType } from './instance-choice.ts';
import { findManifestRow, LIVE_STATES, normalizeForStart, prefixValidation } from './manifests.ts';
import { loadWorkspaceAws } from './workspace-aws.ts';

/** Who starts the cluster. */
export type StartActor = Extract<BrokerActor, { kind: 'user' | 'service-account' }>;

/** What {@link recordStartingCluster} writes. */
export interface StartingCluster {
  readonly workspaceId: string;
  readonly orgId: string;
  readonly region: string;
  readonly manifest: string | null;
  readonly context: ComputeContext;
  readonly selection: Selection;
  readonly actor: StartActor;
  readonly now: Date;
  /** The request's transaction (an idempotent start commits with its key); default: its own. */
  readonly transaction?: RunInTransaction | undefined;
}

/** Runs `fn` in the given transaction, or on the database outside any. */
function onDb<T>(
  resources: Pick<Resources, 'db'>,
  transaction: RunInTransaction | undefined,
  fn: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return transaction === undefined ? fn(resources.db) : transaction(fn);
}

function isLiveManifestViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  return (
    e.code === '23505' &&
    (e.constraint === 'clusters_live_manifest' ||
      (typeof e.message === 'string' && e.message.includes('clusters_live_manifest')))
  );
}

/** The live cluster of a manifest, if any. */
export async function liveClusterOf(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  manifest: string,
): Promise<ClusterRow | undefined> {
  return resources.db
    .selectFrom('clusters')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('manifest', '=', manifest)
    .where('state', 'in', LIVE_STATES)
    .executeTakeFirst();
}

/**
 * Writes a Starting cluster, its `start` event and its launch job in one transaction; a
 * live cluster of the same manifest (even one inserted concurrently) is returned instead.
 */
export async function recordStartingCluster(
  resources: Pick<Resources, 'db' | 'jobs'>,
  input: StartingCluster,
): Promise<{ cluster: ClusterRow; reused: boolean }> {
  const id = newId('cluster', input.now.getTime());
  const { selection } = input;
  try {
    const cluster = await onDb(resources, input.transaction, (db) =>
      db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('clusters')
          .values({
            id,
            workspace_id: input.workspaceId,
            org_id: input.orgId,
            manifest: input.manifest,
            region: input.region,
            context: JSON.stringify(input.context),
            state: 'Starting',
            instance_type: selection.instanceType,
            usd_per_hour: selection.usdPerHour,
            selection: JSON.stringify(selection),
            started_by_kind: input.actor.kind,
            started_by_id: input.actor.id,
            last_activity_at: input.now,
            created_at: input.now,
            updated_at: input.now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await trx
          .insertInto('cluster_events')
          .values({
            cluster_id: id,
            at: input.now,
            from_state: null,
            to_state: 'Starting',
            event: 'start',
            message: selection.reason,
          })
          .execute();
        await resources.jobs.enqueue(
          launchClusterJob,
          { clusterId: id },
          { db: trx as unknown as Kysely<Database>, dedupeKey: `compute.launch:${id}` },
        );
        return row;
      }),
    );
    return { cluster, reused: false };
  } catch (err) {
    if (input.manifest === null || !isLiveManifestViolation(err)) throw err;
    const manifest = input.manifest;
    const live = await onDb(resources, input.transaction, (db) =>
      liveClusterOf({ db }, input.workspaceId, manifest),
    );
    // The winner may already have stopped again; the caller can simply retry then.
    if (live === undefined) throw err;
    return { cluster: live, reused: true };
  }
}

const CONTEXT_FIELDS = new Set(Object.keys(computeContextBodySchema.shape));

function prefixContextFields(err: unknown): unknown {
  if (!(err instanceof ValidationError)) return err;
  const outside = err.details.some((d) => !CONTEXT_FIELDS.has(d.path.split('.')[0] ?? ''));
  return outside ? err : prefixValidation(err, 'body');
}

/** The start request as the route parsed it. */
export type StartBody = Record<string, unknown> & { manifest?: string | undefined };

/**
 * Starts a cluster (or returns the manifest's live one) — the `compute.start` route. Checks
 * run cheapest first: the body, the manifest, the context, then the AWS connection and
 * selection (the only step that calls AWS).
 */
export async function startCluster(
  resources: Resources,
  input: {
    workspaceId: string;
    body: StartBody;
    actor: StartActor;
    now: Date;
    /** The request's transaction: the cluster and its key's completion commit together. */
    transaction?: RunInTransaction;
  },
): Promise<Cluster & { reused: boolean }> {
  const { manifest, ...given } = input.body;
  let spec: Record<string, unknown> = given;
  if (manifest !== undefined) {
    const extra = Object.keys(given).filter((k) => given[k] !== undefined);
    if (extra.length > 0) {
      const details = extra.map((k) => ({
        path: `body.${k}`,
        message: 'give either a manifest or a compute context, not both',
      }));
      throw new ValidationError(details.map((d) => `${d.path}: ${d.message}`).join('; '), {
        details,
      });
    }
    spec = (await findManifestRow(resources, input.workspaceId, manifest)).spec;
    const live = await liveClusterOf(resources, input.workspaceId, manifest);
    if (live !== undefined) return view(resources, live, true);
  }
  const settings = await resources.db
    .selectFrom('workspaces')
    .select('default_idle_timeout_minutes')
    .where('id', '=', input.workspaceId)
    .executeTakeFirst();
  const context = normalizeForStart(resources, spec, settings?.default_idle_timeout_minutes);
  const ws = await loadWorkspaceAws(resources, input.workspaceId);
  let selection: Selection;
  try {
    selection = await chooseInstanceType(resources, ws, context, input.actor);
  } catch (err) {
    throw prefixContextFields(err);
  }
  const { cluster, reused } = await recordStartingCluster(resources, {
    workspaceId: ws.workspaceId,
    orgId: ws.orgId,
    region: ws.region,
    manifest: manifest ?? null,
    context,
    selection,
    actor: input.actor,
    now: input.now,
    transaction: input.transaction,
  });
  return onDb(resources, input.transaction, (db) =>
    view({ db, clock: resources.clock }, cluster, reused),
  );
}

/**
 * The instance type a context would get, why, and its price — the start form shows it
 * before anything starts. Same checks and selection as a start; nothing is written.
 */
export async function previewSelection(
  resources: Resources,
  input: { workspaceId: string; body: Record<string, unknown>; actor: StartActor },
): Promise<Selection> {
  const settings = await resources.db
    .selectFrom('workspaces')
    .select('default_idle_timeout_minutes')
    .where('id', '=', input.workspaceId)
    .executeTakeFirst();
  const context = normalizeForStart(resources, input.body, settings?.default_idle_timeout_minutes);
  const ws = await loadWorkspaceAws(resources, input.workspaceId);
  try {
    return await chooseInstanceType(resources, ws, context, input.actor);
  } catch (err) {
    throw prefixContextFields(err);
  }
}

async function view(
  resources: Pick<Resources, 'db' | 'clock'>,
  row: ClusterRow,
  reused: boolean,
): Promise<Cluster & { reused: boolean }> {
  const [cluster] = await clusterViews(resources.db, [row], resources.clock.now());
  return { ...cluster!, reused };
}
