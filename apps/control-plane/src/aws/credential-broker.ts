/**
 * The credential broker: the only code that calls sts:AssumeRole. It assumes a workspace's
 * roles with the workspace's external ID, names the acting user or service in the session
 * name and source identity, tags the session with the workspace id, caches the credentials
 * in memory until five minutes before they expire (one refresh shared by concurrent
 * callers), retries AccessDenied on a freshly created role while IAM propagates, and writes
 * every AssumeRole to the audit log. Credentials are never persisted or logged.
 *
 * When the platform acts as a role (`aws.roleArn`), the broker also holds the platform's own
 * session of that role, assumed with the platform's base credentials and cached the same
 * way; every platform-side client (and so every AssumeRole into a customer role) signs with it.
 */
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { TAG_WORKSPACE } from '@ferry/aws-template';
import { ConflictError } from '@ferry/core';
import type { AuditActorType } from '../db/tables/index.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { Resources } from '../resources.ts';
import { awsErrorCode, type AwsClientFactory, type AwsCredentials } from './aws-clients.ts';

/** Who a session acts for. */
export type BrokerActor =
  | { kind: 'user'; id: string }
  | { kind: 'service-account'; id: string }
  /** Background work of the platform, e.g. `reaper`, `verifier`, `drift`. */
  | { kind: 'system'; name: string };

/** One AssumeRole request. */
export interface AssumeRequest {
  orgId: string;
  workspaceId: string;
  roleArn: string;
  /** The workspace's external ID; `null` omits it (only the verifier's confused-deputy probe). */
  externalId: string | null;
  actor: BrokerActor;
  /** Cache key beside the role (default: the session name). */
  purpose?: string;
  /** Retry AccessDenied up to the propagation window (a role the stack just created). */
  freshRole?: boolean;
  /** Skip the cache (probes that must reach STS every time). */
  noCache?: boolean;
  /** A session policy (JSON) that narrows the session below the role's own policy. */
  sessionPolicy?: string;
}

/** Why an AssumeRole failed, with AWS's error code. */
export class AssumeRoleError extends Error {
  readonly code = 'aws_assume_role_failed';
  readonly awsCode: string;
  constructor(roleArn: string, awsCode: string, cause: unknown) {
    super(`AssumeRole on ${roleArn} failed: ${awsCode}`, { cause });
    this.name = 'AssumeRoleError';
    this.awsCode = awsCode;
  }
}

/** Options of {@link createCredentialBroker}. */
export interface CredentialBrokerOptions {
  clients: AwsClientFactory;
  /** How long AccessDenied on a fresh role is retried (default 120 s). */
  propagationWindowMs?: number;
  /** First retry delay (default 1 s, doubling, capped at 10 s). */
  retryDelayMs?: number;
  /** Session length asked for (default 3600 s). */
  durationSeconds?: number;
  /** The platform's role (`aws.roleArn`); undefined: the platform uses its base credentials. */
  platformRoleArn?: string;
}

export interface CredentialBroker {
  /** Credentials of the role for this actor (cached unless `noCache`). */
  assume(request: AssumeRequest): Promise<AwsCredentials>;
  /** The session name the broker uses for an actor. */
  sessionName(actor: BrokerActor): string;
  /** Forgets every cached session (e.g. after a workspace is disconnected). */
  clear(): void;
  /**
   * The platform role's session (cached until five minutes before expiry, one refresh shared
   * by concurrent callers). Fails when no platform role is configured.
   */
  platformSession(): Promise<AwsCredentials>;
}

/** The session name of the platform's own role session. */
export const PLATFORM_SESSION_NAME = 'ferry-platform';

const REFRESH_BEFORE_MS = 5 * 60_000;
/** RoleSessionName and SourceIdentity: `[\w+=,.@-]`, 2–64 characters. */
const NAME_CHARS = /[^\w+=,.@-]/g;

/** `user-<id>`, `sa-<id>`, `ferry-<name>`, trimmed to AWS's charset and length. */
export function sessionNameFor(actor: BrokerActor): string {
  const raw =
    actor.kind === 'user'
      ? `user-${actor.id}`
      : actor.kind === 'service-account'
        ? `sa-${actor.id}`
        : `ferry-${actor.name}`;
  return raw.replace(NAME_CHARS, '-').slice(0, 64).padEnd(2, '-');
}

function auditActor(actor: BrokerActor): { actorType: AuditActorType; actorId: string } {
  if (actor.kind === 'user') return { actorType: 'user', actorId: actor.id };
  if (actor.kind === 'service-account') return { actorType: 'service-account', actorId: actor.id };
  return { actorType: 'system', actorId: `ferry-${actor.name}` };
}

/** The workspace was deleted or disconnected: nothing may act in its account again. */
export class WorkspaceDisconnectedError extends ConflictError {
  constructor(workspaceId: string) {
    super(
      'workspace_disconnected',
      `Workspace ${workspaceId} is deleted or disconnected from AWS: ferry no longer assumes its roles.`,
    );
  }
}

/**
 * Checked on every call, cached credentials included: a deleted workspace's setup is
 * disconnected in the deleting transaction, and from then on no job, on any replica, acts.
 */
async function refuseDisconnected(
  resources: Pick<Resources, 'db'>,
  workspaceId: string,
): Promise<void> {
  const row = await resources.db
    .selectFrom('aws_setups')
    .innerJoin('workspaces', 'workspaces.id', 'aws_setups.workspace_id')
    .select(['aws_setups.status', 'workspaces.deleted_at'])
    .where('aws_setups.workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (row !== undefined && (row.status === 'disconnected' || row.deleted_at !== null)) {
    throw new WorkspaceDisconnectedError(workspaceId);
  }
}

/** Creates the broker. */
export function createCredentialBroker(
  resources: Pick<Resources, 'db' | 'clock'>,
  options: CredentialBrokerOptions,
): CredentialBroker {
  const duration = options.durationSeconds ?? 3600;
  const cache = new Map<string, AwsCredentials>();
  const inFlight = new Map<string, Promise<AwsCredentials>>();

  async function callOnce(request: AssumeRequest, name: string): Promise<AwsCredentials> {
    // The platform's client: its role session when `aws.roleArn` is set.
    const sts = options.clients.sts();
    try {
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: request.roleArn,
          RoleSessionName: name,
          SourceIdentity: name,
          DurationSeconds: duration,
          Tags: [{ Key: TAG_WORKSPACE, Value: request.workspaceId }],
          ...(request.externalId !== null ? { ExternalId: request.externalId } : {}),
          ...(request.sessionPolicy !== undefined ? { Policy: request.sessionPolicy } : {}),
        }),
      );
      return credentialsOf(out.Credentials);
    } finally {
      sts.destroy();
    }
  }

  /** The platform role's session, from the base credentials (never from itself). */
  async function platformOnce(roleArn: string): Promise<AwsCredentials> {
    const sts = options.clients.baseSts();
    try {
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: PLATFORM_SESSION_NAME,
          DurationSeconds: duration,
        }),
      );
      const creds = credentialsOf(out.Credentials);
      await recordAudit(resources, {
        actorType: 'system',
        actorId: PLATFORM_SESSION_NAME,
        action: 'aws.sts.AssumeRole',
        targetType: 'aws-role',
        targetId: roleArn,
        outcome: 'success',
        awsRoleArn: roleArn,
        awsSessionName: PLATFORM_SESSION_NAME,
        details: { purpose: 'platform identity' },
      });
      return creds;
    } catch (err) {
      const code = awsErrorCode(err);
      await recordAudit(resources, {
        actorType: 'system',
        actorId: PLATFORM_SESSION_NAME,
        action: 'aws.sts.AssumeRole',
        targetType: 'aws-role',
        targetId: roleArn,
        outcome: code === 'AccessDenied' ? 'denied' : 'failed',
        awsRoleArn: roleArn,
        awsSessionName: PLATFORM_SESSION_NAME,
        details: { purpose: 'platform identity', awsErrorCode: code },
      });
      throw new AssumeRoleError(roleArn, code, err);
    } finally {
      sts.destroy();
    }
  }

  /** Cached credentials per key, refreshed five minutes before expiry, one refresh at a time. */
  function cached(key: string, fetch: () => Promise<AwsCredentials>): Promise<AwsCredentials> {
    const hit = cache.get(key);
    const now = resources.clock.now().getTime();
    if (hit?.expiration && hit.expiration.getTime() - REFRESH_BEFORE_MS > now)
      return Promise.resolve(hit);
    const running = inFlight.get(key);
    if (running) return running;
    const refresh = fetch()
      .then((creds) => {
        cache.set(key, creds);
        return creds;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, refresh);
    return refresh;
  }

  function credentialsOf(
    c:
      | {
          AccessKeyId?: string;
          SecretAccessKey?: string;
          SessionToken?: string;
          Expiration?: Date;
        }
      | undefined,
  ): AwsCredentials {
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
      throw new Error('AssumeRole returned no credentials');
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      ...(c.Expiration ? { expiration: new Date(c.Expiration) } : {}),
    };
  }

  async function assumeNow(request: AssumeRequest, name: string): Promise<AwsCredentials> {
    const started = resources.clock.now().getTime();
    // Read per call: the timings may be tuned after the broker was created.
    const windowMs = options.propagationWindowMs ?? 120_000;
    let delay = options.retryDelayMs ?? 1000;
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        const creds = await callOnce(request, name);
        await audit(request, name, 'success', undefined, attempts);
        return creds;
      } catch (err) {
        const code = awsErrorCode(err);
        const elapsed = resources.clock.now().getTime() - started;
        if (request.freshRole === true && code === 'AccessDenied' && elapsed + delay <= windowMs) {
          await resources.clock.sleep(delay);
          delay = Math.min(delay * 2, 10_000);
          continue;
        }
        await audit(request, name, code === 'AccessDenied' ? 'denied' : 'failed', code, attempts);
        throw new AssumeRoleError(request.roleArn, code, err);
      }
    }
  }

  async function audit(
    request: AssumeRequest,
    name: string,
    outcome: 'success' | 'denied' | 'failed',
    awsCode: string | undefined,
    attempts: number,
  ): Promise<void> {
    await recordAudit(resources, {
      ...auditActor(request.actor),
      orgId: request.orgId,
      workspaceId: request.workspaceId,
      action: 'aws.sts.AssumeRole',
      targetType: 'aws-role',
      targetId: request.roleArn,
      outcome,
      awsRoleArn: request.roleArn,
      awsSessionName: name,
      details: {
        externalId: request.externalId === null ? 'omitted' : 'presented',
        attempts,
        ...(awsCode !== undefined ? { awsErrorCode: awsCode } : {}),
      },
    });
  }

  return {
    sessionName: sessionNameFor,
    clear: () => cache.clear(),
    async assume(request) {
      await refuseDisconnected(resources, request.workspaceId);
      const name = sessionNameFor(request.actor);
      if (request.noCache === true) return assumeNow(request, name);
      const key = `${request.roleArn}\n${request.externalId ?? ''}\n${request.purpose ?? name}\n${request.sessionPolicy ?? ''}`;
      return cached(key, () => assumeNow(request, name));
    },
    platformSession() {
      const roleArn = options.platformRoleArn;
      if (roleArn === undefined)
        return Promise.reject(new Error('no platform role is configured (aws.roleArn)'));
      return cached(`platform\n${roleArn}`, () => platformOnce(roleArn));
    },
  };
}
