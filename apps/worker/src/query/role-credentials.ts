/**
 * The Worker role's credentials from the instance metadata service (IMDSv2): the role
 * name from `iam/security-credentials/`, then its temporary keys. Cached and refreshed
 * five minutes before they expire; `onRotate` tells the executor pool to restart idle
 * executors with the new keys in their environment.
 */
import type { RoleCredentials } from './cloud-options.ts';

const REFRESH_BEFORE_MS = 5 * 60_000;

export interface RoleCredentialsSource {
  get(): Promise<RoleCredentials>;
}

export function imdsRoleCredentials(options: {
  endpoint: string;
  now: () => number;
  onRotate?: (c: RoleCredentials) => void;
  timeoutMs?: number;
}): RoleCredentialsSource {
  const timeoutMs = options.timeoutMs ?? 2000;
  let cached: RoleCredentials | undefined;
  let pending: Promise<RoleCredentials> | undefined;

  const fetchText = async (path: string, method: 'GET' | 'PUT', token?: string) => {
    const res = await fetch(`${options.endpoint}${path}`, {
      method,
      headers:
        method === 'PUT'
          ? { 'x-aws-ec2-metadata-token-ttl-seconds': '300' }
          : { 'x-aws-ec2-metadata-token': token ?? '' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`instance metadata ${path} answered ${res.status}`);
    return text.trim();
  };

  const load = async (): Promise<RoleCredentials> => {
    const token = await fetchText('/latest/api/token', 'PUT');
    const base = '/latest/meta-data/iam/security-credentials/';
    const role = (await fetchText(base, 'GET', token)).split('\n')[0]?.trim() ?? '';
    if (role === '') throw new Error('the instance has no role (no instance profile)');
    const body = JSON.parse(await fetchText(`${base}${role}`, 'GET', token)) as {
      AccessKeyId?: string;
      SecretAccessKey?: string;
      Token?: string;
      Expiration?: string;
    };
    if (body.AccessKeyId === undefined || body.SecretAccessKey === undefined)
      throw new Error(`instance metadata gave no credentials for the role ${role}`);
    return {
      accessKeyId: body.AccessKeyId,
      secretAccessKey: body.SecretAccessKey,
      ...(body.Token === undefined ? {} : { sessionToken: body.Token }),
      ...(body.Expiration === undefined ? {} : { expiration: Date.parse(body.Expiration) }),
    };
  };

  return {
    async get() {
      const fresh =
        cached !== undefined &&
        (cached.expiration === undefined || cached.expiration - REFRESH_BEFORE_MS > options.now());
      if (fresh && cached !== undefined) return cached;
      pending ??= load().finally(() => (pending = undefined));
      const next = await pending;
      const rotated = cached !== undefined && cached.accessKeyId !== next.accessKeyId;
      cached = next;
      if (rotated) options.onRotate?.(next);
      return next;
    },
  };
}
