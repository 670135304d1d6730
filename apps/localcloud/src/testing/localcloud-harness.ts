/**
 * Test harness: localcloud in-process on 127.0.0.1 and a free port, accounts and faults
 * through the admin API, and the configuration AWS SDK v3 clients need to reach it.
 */
import { start } from '../index.ts';
import type { StartOptions } from '../index.ts';
import type { LogLevel } from '../core/logger.ts';

/** The administrator credentials of an account made through `POST /_localcloud/accounts`. */
export interface TestAccount {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Credentials in the form SDK clients take. */
export interface SdkCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What SDK v3 client constructors need to talk to localcloud. */
export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: SdkCredentials;
  maxAttempts: number;
  forcePathStyle: boolean;
}

export interface LocalCloudHarness {
  url: string;
  /** Creates an account; its admin user's access key. */
  createAccount(name?: string): Promise<TestAccount>;
  /** Config for `new XClient(config)`: endpoint, region (default us-east-1), no retries. */
  clientConfig(credentials: SdkCredentials, region?: string): ClientConfig;
  /** Calls the admin API; returns status and parsed JSON. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  /** Adds a fault (`POST /_localcloud/faults`); answers it with its `id`. */
  addFault(fault: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>>;
  /** How many times a fault took effect so far (also once spent or cleared). */
  faultFired(id: string): Promise<number>;
  /** Removes every fault. */
  clearFaults(): Promise<void>;
  stop(): Promise<void>;
}

/** What `startLocalCloudHarness` takes: `start()`'s options but the address (always loopback, free port). */
export type HarnessOptions = Omit<StartOptions, 'host' | 'port' | 'logger'>;

/** The admin API of a running localcloud: raw calls, accounts and faults. */
export function createAdminClient(
  url: string,
): Pick<LocalCloudHarness, 'admin' | 'createAccount' | 'addFault' | 'faultFired' | 'clearFaults'> {
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  return {
    admin,
    async createAccount(name?: string) {
      const res = await admin('POST', '/_localcloud/accounts', name === undefined ? {} : { name });
      if (res.status !== 201) throw new Error(`account creation failed: ${JSON.stringify(res)}`);
      return res.body as TestAccount;
    },
    async addFault(fault) {
      const res = await admin('POST', '/_localcloud/faults', fault);
      if (res.status !== 201) throw new Error(`fault refused: ${JSON.stringify(res)}`);
      return res.body as { id: string } & Record<string, unknown>;
    },
    async faultFired(id) {
      const res = await admin('GET', `/_localcloud/faults/${encodeURIComponent(id)}`);
      if (res.status !== 200) throw new Error(`fault ${id} unknown: ${JSON.stringify(res)}`);
      return (res.body as { fired: number }).fired;
    },
    async clearFaults() {
      await admin('DELETE', '/_localcloud/faults');
    },
  };
}

/** SDK v3 client config for a localcloud at `url`: no retries, path-style S3. */
export function clientConfigFor(
  url: string,
  credentials: SdkCredentials,
  region = 'us-east-1',
): ClientConfig {
  return {
    endpoint: url,
    region,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    },
    maxAttempts: 1,
    forcePathStyle: true,
  };
}

/**
 * Starts localcloud on 127.0.0.1 and a free port, with `start()`'s options (EC2 timings,
 * fault seed, state directory…). Logs are silent unless LOCALCLOUD_LOG_LEVEL or `logLevel`
 * says otherwise. Call `stop()` in afterAll.
 */
export async function startLocalCloudHarness(
  options: HarnessOptions = {},
): Promise<LocalCloudHarness> {
  const level =
    (process.env.LOCALCLOUD_LOG_LEVEL as LogLevel | undefined) ?? options.logLevel ?? 'silent';
  const cloud = await start({ ...options, host: '127.0.0.1', port: 0, logLevel: level });
  return {
    url: cloud.url,
    ...createAdminClient(cloud.url),
    clientConfig: (credentials, region) => clientConfigFor(cloud.url, credentials, region),
    stop: () => cloud.stop(),
  };
}
