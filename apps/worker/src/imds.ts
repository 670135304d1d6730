/**
 * Who this node is, from the EC2 instance metadata service (IMDSv2 only: ferry's launch
 * templates require tokens). A session token from `PUT /latest/api/token`, then each
 * value with the `X-aws-ec2-metadata-token` header. The endpoint is the one the AWS SDKs
 * honour, `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else EC2's link-local address.
 */

export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';

export interface InstanceIdentity {
  readonly instanceId: string;
  readonly privateIp: string;
  readonly instanceType: string;
  readonly availabilityZone: string;
}

/** The metadata service's base URL (no trailing slash). */
export function imdsEndpoint(env: Readonly<Record<string, string | undefined>>): string {
  const raw = env.AWS_EC2_METADATA_SERVICE_ENDPOINT?.trim();
  return (raw === undefined || raw === '' ? DEFAULT_IMDS_ENDPOINT : raw).replace(/\/+$/, '');
}

export interface ImdsOptions {
  readonly endpoint: string;
  /** Per request (default 2 s; the service is local to the host). */
  readonly timeoutMs?: number;
  /** Attempts per value before giving up (default 5; the service may still be starting). */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
}

/** Thrown when the metadata service cannot tell who this node is. */
export class ImdsError extends Error {
  override readonly name = 'ImdsError';
}

const TOKEN_TTL_SECONDS = 21_600;

export async function readInstanceIdentity(options: ImdsOptions): Promise<InstanceIdentity> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const attempts = options.attempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 500;
  let token: string | undefined;

  const request = async (method: 'PUT' | 'GET', path: string): Promise<string> => {
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const headers: Record<string, string> =
          method === 'PUT'
            ? { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) }
            : { 'x-aws-ec2-metadata-token': token ?? '' };
        const res = await fetch(`${options.endpoint}${path}`, {
          method,
          headers,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        if (res.ok && text.trim() !== '') return text.trim();
        last = new ImdsError(`${method} ${path} answered ${res.status}`);
        // A token the service no longer knows: get a new one before the next try.
        if (res.status === 401 && method === 'GET')
          token = await request('PUT', '/latest/api/token');
      } catch (e) {
        last = e;
      }
      if (attempt < attempts) await new Promise((r) => setTimeout(r, retryDelayMs * attempt));
    }
    const why = last instanceof Error ? last.message : String(last);
    throw new ImdsError(`instance metadata ${path} unavailable at ${options.endpoint}: ${why}`);
  };

  token = await request('PUT', '/latest/api/token');
  const get = (path: string) => request('GET', `/latest/meta-data/${path}`);
  const [instanceId, privateIp, instanceType, availabilityZone] = await Promise.all([
    get('instance-id'),
    get('local-ipv4'),
    get('instance-type'),
    get('placement/availability-zone'),
  ]);
  return { instanceId, privateIp, instanceType, availabilityZone };
}
