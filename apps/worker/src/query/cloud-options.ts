/**
 * The worker's own S3 access, written into every `cloud_options` of a plan. Polars reads
 * `AWS_*` environment variables once per process and caches them, and credentials in a
 * plan override them, so the worker replaces each `cloud_options` object (a scan's, and
 * a sink's) with its role's current credentials. The client's own options are dropped
 * entirely: plan safety already refused credentials, and an endpoint chosen by the client
 * must never receive requests signed with the worker's role.
 */

/** Temporary credentials of the Worker role. */
export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** Milliseconds since the epoch. */
  readonly expiration?: number;
}

/** Where and how to reach S3. */
export interface S3Access {
  readonly region: string;
  /** A custom S3 endpoint (`AWS_ENDPOINT_URL`); absent on AWS. */
  readonly endpoint?: string;
}

/** The options as polars' scan/sink functions take them (every value a string). */
export function polarsCloudOptions(
  creds: RoleCredentials,
  access: S3Access,
): Record<string, string> {
  const out: Record<string, string> = {
    aws_region: access.region,
    aws_access_key_id: creds.accessKeyId,
    aws_secret_access_key: creds.secretAccessKey,
  };
  if (creds.sessionToken !== undefined) out.aws_session_token = creds.sessionToken;
  if (access.endpoint !== undefined) {
    out.aws_endpoint_url = access.endpoint;
    // A custom endpoint is addressed path-style, like any S3-compatible endpoint.
    out.aws_virtual_hosted_style_request = 'false';
    if (access.endpoint.startsWith('http:')) out.aws_allow_http = 'true';
  }
  return out;
}

/** The same, as a polars serialized plan stores a `cloud_options` object (0.26). */
export function serializedCloudOptions(creds: RoleCredentials, access: S3Access): unknown {
  const aws: unknown[] = [
    ['Region', access.region],
    ['AccessKeyId', creds.accessKeyId],
    ['SecretAccessKey', creds.secretAccessKey],
  ];
  if (creds.sessionToken !== undefined) aws.push(['Token', creds.sessionToken]);
  if (access.endpoint !== undefined) {
    aws.push(['Endpoint', access.endpoint]);
    aws.push(['VirtualHostedStyleRequest', 'false']);
    if (access.endpoint.startsWith('http:')) aws.push([{ Client: 'AllowHttp' }, 'true']);
  }
  return {
    file_cache_ttl: 2,
    config: { Aws: aws },
    retry_config: {
      max_retries: null,
      retry_timeout: null,
      retry_init_backoff: null,
      retry_max_backoff: null,
      retry_base_multiplier: null,
    },
    credential_provider: null,
  };
}

/** The environment an executor starts with (polars' fallback for SQL planning). */
export function executorAwsEnv(creds: RoleCredentials, access: S3Access): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: access.region,
    AWS_DEFAULT_REGION: access.region,
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
  };
  if (creds.sessionToken !== undefined) env.AWS_SESSION_TOKEN = creds.sessionToken;
  if (access.endpoint !== undefined) {
    env.AWS_ENDPOINT_URL = access.endpoint;
    env.AWS_VIRTUAL_HOSTED_STYLE_REQUEST = 'false';
    if (access.endpoint.startsWith('http:')) env.AWS_ALLOW_HTTP = 'true';
  }
  return env;
}

/**
 * Replaces every `cloud_options` value of a parsed plan (in place) and returns how many
 * it replaced. Null ones are replaced too, so no scan falls back to cached environment
 * credentials that may have expired.
 */
export function injectCloudOptions(plan: unknown, options: unknown): number {
  let count = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      if (node.length > 0 && typeof node[0] === 'number') return;
      for (const child of node) visit(child);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (key === 'cloud_options') {
        record[key] = structuredClone(options);
        count += 1;
      } else visit(record[key]);
    }
  };
  visit(plan);
  return count;
}
