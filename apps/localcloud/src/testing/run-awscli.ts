/**
 * Runs Debian's awscli (`/usr/bin/aws`) against an endpoint with explicit credentials and no
 * config files, as an independent client.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export const AWSCLI = '/usr/bin/aws';

export interface AwsCliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON. */
  json?: unknown;
}

/**
 * `aws --endpoint-url URL --region REGION --output json ARGS…`. Throws (never skips) when
 * awscli is not installed, saying how to install it.
 */
export async function runAwsCli(
  args: string[],
  options: {
    endpoint: string;
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    region?: string;
  },
): Promise<AwsCliResult> {
  if (!existsSync(AWSCLI))
    throw new Error(`${AWSCLI} is missing: install Debian's awscli (apt-get install awscli)`);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
  };
  if (options.credentials.sessionToken) env.AWS_SESSION_TOKEN = options.credentials.sessionToken;
  const full = [
    '--endpoint-url',
    options.endpoint,
    '--region',
    options.region ?? 'us-east-1',
    '--output',
    'json',
    ...args,
  ];
  return new Promise((resolve) => {
    execFile(AWSCLI, full, { env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      let json: unknown;
      try {
        json = stdout.trim() ? (JSON.parse(stdout) as unknown) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}
