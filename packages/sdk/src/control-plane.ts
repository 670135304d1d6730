/**
 * The SDK's session with the control plane: ferry's typed API client with the caller's
 * credentials (a service account's client credentials are exchanged for short-lived access
 * tokens, renewed before they expire), the workspace resolved from a name or an id, and
 * API errors turned into the SDK's typed errors.
 */
import {
  createFerryClient,
  FerryApiError,
  type CallInput,
  type CallOutput,
  type FerryClient,
  type RouteName,
} from '@ferry/api';
import { idPattern } from '@ferry/core';
import {
  ClusterUnavailableError,
  FerryAuthError,
  FerryError,
  NotFoundError,
  PlanRefusedError,
  type MissingResource,
} from './errors.ts';
import { resolveSettings, type FerryConnectionOptions, type FerrySettings } from './settings.ts';

const CLUSTER_CODES = new Set(['cluster_not_ready', 'cluster_not_live', 'no_query_node']);

/** What a 404 says is missing: its message names it (a cluster route may miss its workspace). */
const MISSING: readonly [RegExp, MissingResource][] = [
  [/\bconnection\b/i, 'connection'],
  [/\bquery\b/i, 'query'],
  [/\bcluster\b/i, 'cluster'],
  [/\bmanifest\b/i, 'manifest'],
  [/\bingestion\b/i, 'ingestion'],
  [/\bworkspace\b/i, 'workspace'],
];

/** The resource a route is about, when the message names none. */
const ROUTE_RESOURCE: readonly [RegExp, MissingResource][] = [
  [/^connections\./, 'connection'],
  [/^queries\.(connect|submit)$/, 'cluster'],
  [/^queries\./, 'query'],
  [/^(compute|clusters)\./, 'cluster'],
  [/^manifests\./, 'manifest'],
  [/^ingestions\./, 'ingestion'],
  [/^workspaces\./, 'workspace'],
];

function missingResource(message: string, route: string | undefined): MissingResource {
  for (const [pattern, resource] of MISSING) if (pattern.test(message)) return resource;
  for (const [pattern, resource] of ROUTE_RESOURCE)
    if (route !== undefined && pattern.test(route)) return resource;
  return 'resource';
}

/** Turns an API error into the SDK's typed error (`route`: the route called, if known). */
export function sdkErrorOf(err: unknown, route?: string): unknown {
  if (!(err instanceof FerryApiError)) return err;
  const options = { status: err.status, retryable: err.retryable, cause: err };
  if (err.status === 401 || err.status === 403)
    return new FerryAuthError(err.code, err.message, options);
  if (err.code === 'not_found')
    return new NotFoundError(missingResource(err.message, route), err.message, {
      status: err.status,
      cause: err,
    });
  if (CLUSTER_CODES.has(err.code))
    return new ClusterUnavailableError(err.code, err.message, options);
  if (err.code.startsWith('plan_')) return new PlanRefusedError(err.code, err.message, options);
  return new FerryError(err.code, err.message, options);
}

/** A session: settings, the typed client and the workspace id. */
export class ControlPlane {
  readonly settings: FerrySettings;
  readonly #client: FerryClient;
  #workspaceId: Promise<string> | undefined;
  #access: { token: string; expiresAt: number } | undefined;

  constructor(options: FerryConnectionOptions = {}) {
    this.settings = resolveSettings(options);
    this.#client = createFerryClient({
      baseUrl: this.settings.url,
      token: () => this.#token(),
    });
  }

  async #token(): Promise<string> {
    const c = this.settings.credentials;
    if (c.kind === 'token') return c.token;
    if (this.#access !== undefined && this.#access.expiresAt - Date.now() > 30_000) {
      return this.#access.token;
    }
    const anonymous = createFerryClient({ baseUrl: this.settings.url });
    try {
      const answer = await anonymous.call('auth.token', {
        body: {
          grant_type: 'client_credentials',
          client_id: c.clientId,
          client_secret: c.clientSecret,
        },
      });
      this.#access = {
        token: answer.access_token,
        expiresAt: Date.now() + answer.expires_in * 1000,
      };
      return answer.access_token;
    } catch (err) {
      throw sdkErrorOf(err);
    }
  }

  /** Calls a route; API errors become typed SDK errors. */
  async call<N extends RouteName>(name: N, input?: CallInput<N>): Promise<CallOutput<N>> {
    try {
      const client = this.#client as {
        call(n: N, i?: CallInput<N>): Promise<CallOutput<N>>;
      };
      return await client.call(name, input);
    } catch (err) {
      throw sdkErrorOf(err, name);
    }
  }

  /** The workspace's id: given as an id, as a name, or the service account's own. */
  workspaceId(): Promise<string> {
    this.#workspaceId ??= this.#resolveWorkspace();
    return this.#workspaceId;
  }

  async #resolveWorkspace(): Promise<string> {
    const wanted = this.settings.workspace;
    if (wanted !== undefined && idPattern('workspace').test(wanted)) return wanted;
    const me = await this.call('auth.me');
    if (me.kind === 'service-account') {
      if (wanted === undefined) return me.workspaceId;
      const ws = await this.call('workspaces.get', { params: { workspaceId: me.workspaceId } });
      if (ws.name === wanted) return ws.id;
      throw new FerryError(
        'workspace_not_found',
        `workspace ${JSON.stringify(wanted)}: this service account belongs to workspace ${ws.name}.`,
      );
    }
    if (wanted === undefined) {
      throw new FerryError(
        'missing_workspace',
        'No workspace: pass `workspace` (a name or an id) or set FERRY_WORKSPACE.',
      );
    }
    const found: string[] = [];
    let orgCursor: string | undefined;
    do {
      const orgs = await this.call('orgs.list', {
        query: { limit: 100, ...(orgCursor ? { cursor: orgCursor } : {}) },
      });
      for (const org of orgs.items) {
        let cursor: string | undefined;
        do {
          const page = await this.call('workspaces.list', {
            params: { orgId: org.id },
            query: { limit: 100, ...(cursor ? { cursor } : {}) },
          });
          for (const ws of page.items) if (ws.name === wanted) found.push(ws.id);
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined);
      }
      orgCursor = orgs.nextCursor ?? undefined;
    } while (orgCursor !== undefined);
    if (found.length === 1) return found[0]!;
    throw new FerryError(
      'workspace_not_found',
      found.length === 0
        ? `workspace ${JSON.stringify(wanted)}: no workspace of that name is visible to these credentials.`
        : `workspace ${JSON.stringify(wanted)}: ${found.length} workspaces have that name; pass the id (${found.join(', ')}).`,
    );
  }
}
