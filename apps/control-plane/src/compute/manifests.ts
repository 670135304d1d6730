/**
 * Named compute manifests: a workspace registers a context under a name and starts it by
 * name. The spec is validated with the same normaliser as a start (errors name the field)
 * and stored as sent, so a later change of defaults applies at the next start.
 */
import type { Manifest } from '@ferry/api';
import {
  NotFoundError,
  ValidationError,
  normalizeComputeContext,
  type ComputeContext,
} from '@ferry/core';
import type { Selectable } from 'kysely';
import type { ComputeManifestsTable } from '../db/tables/compute-tables.ts';
import { DEFAULT_PAGE_SIZE } from '../http/cursor.ts';
import type { Resources } from '../resources.ts';

type ManifestRow = Selectable<ComputeManifestsTable>;

/** States in which a cluster counts as the manifest's live one (the partial unique index's). */
export const LIVE_STATES = ['Starting', 'Idle', 'Busy'] as const;

/** A ValidationError whose details name fields under `prefix` (e.g. `body.memory`). */
export function prefixValidation(err: unknown, prefix: string): unknown {
  if (!(err instanceof ValidationError)) return err;
  const details = err.details.map((d) => ({
    path: d.path === '' || d.path === 'context' ? prefix : `${prefix}.${d.path}`,
    message: d.message,
  }));
  return new ValidationError(details.map((d) => `${d.path}: ${d.message}`).join('; '), {
    details,
  });
}

/** Normalises a context for this installation; a bad field is a 400 naming `body.<field>`. */
export function normalizeForStart(
  resources: Pick<Resources, 'config'>,
  spec: unknown,
  workspaceIdleTimeoutMins?: number,
): ComputeContext {
  try {
    return normalizeComputeContext(spec, {
      minIdleTimeoutMins: resources.config.compute.minIdleTimeoutMins,
      ...(workspaceIdleTimeoutMins !== undefined ? { workspaceIdleTimeoutMins } : {}),
    });
  } catch (err) {
    throw prefixValidation(err, 'body');
  }
}

async function liveClusters(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  names: readonly string[],
): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  const rows = await resources.db
    .selectFrom('clusters')
    .select(['id', 'manifest'])
    .where('workspace_id', '=', workspaceId)
    .where('manifest', 'in', names)
    .where('state', 'in', LIVE_STATES)
    .execute();
  return new Map(rows.map((r) => [r.manifest ?? '', r.id]));
}

function view(row: ManifestRow, liveClusterId: string | null): Manifest {
  return {
    workspaceId: row.workspace_id,
    name: row.name,
    spec: row.spec,
    liveClusterId,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The stored row of a manifest; 404 naming it otherwise. */
export async function findManifestRow(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  name: string,
): Promise<ManifestRow> {
  const row = await resources.db
    .selectFrom('compute_manifests')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (row === undefined) throw new NotFoundError(`Manifest ${name} was not found.`);
  return row;
}

/** Registers or replaces a manifest. */
export async function putManifest(
  resources: Pick<Resources, 'db' | 'config'>,
  input: { workspaceId: string; name: string; spec: Record<string, unknown>; now: Date },
): Promise<Manifest> {
  normalizeForStart(resources, input.spec);
  const spec = JSON.stringify(input.spec);
  const row = await resources.db
    .insertInto('compute_manifests')
    .values({
      workspace_id: input.workspaceId,
      name: input.name,
      spec,
      created_at: input.now,
      updated_at: input.now,
    })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'name']).doUpdateSet({ spec, updated_at: input.now }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  const live = await liveClusters(resources, input.workspaceId, [input.name]);
  return view(row, live.get(input.name) ?? null);
}

/** A manifest and its live cluster. */
export async function getManifest(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  name: string,
): Promise<Manifest> {
  const row = await findManifestRow(resources, workspaceId, name);
  const live = await liveClusters(resources, workspaceId, [name]);
  return view(row, live.get(name) ?? null);
}

const CURSOR_PREFIX = 'm1:';

function encodeNameCursor(name: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${name}`, 'utf8').toString('base64url');
}

function decodeNameCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const name = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name)) {
    throw new ValidationError('Invalid cursor.', {
      details: [{ path: 'query.cursor', message: 'is not a cursor this API returned' }],
    });
  }
  return name;
}

/** A workspace's manifests by name. */
export async function listManifests(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  page: { cursor?: string | undefined; limit?: number | undefined },
): Promise<{ items: Manifest[]; nextCursor: string | null }> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  let q = resources.db
    .selectFrom('compute_manifests')
    .selectAll()
    .where('workspace_id', '=', workspaceId);
  if (page.cursor !== undefined) q = q.where('name', '>', decodeNameCursor(page.cursor));
  const rows = await q
    .orderBy('name', 'asc')
    .limit(limit + 1)
    .execute();
  const kept = rows.slice(0, limit);
  const live = await liveClusters(
    resources,
    workspaceId,
    kept.map((r) => r.name),
  );
  const last = kept[kept.length - 1];
  return {
    items: kept.map((r) => view(r, live.get(r.name) ?? null)),
    nextCursor: rows.length > limit && last !== undefined ? encodeNameCursor(last.name) : null,
  };
}

/** Deletes a manifest; its live cluster keeps running (and keeps the name). */
export async function deleteManifest(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
  name: string,
): Promise<void> {
  const deleted = await resources.db
    .deleteFrom('compute_manifests')
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (deleted.numDeletedRows === 0n) throw new NotFoundError(`Manifest ${name} was not found.`);
}
