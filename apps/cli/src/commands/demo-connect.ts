/**
 * The demo's AWS part: localcloud and the control plane on embedded defaults (PGlite in a
 * temporary directory), a platform account and a customer account from localcloud's admin
 * API, platform init, an organization and a workspace through the API, the setup, the
 * customer's stack, and the workspace reaching Active — with its stages and checks printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { CliIo } from '../cli-io.ts';

interface Account {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** A running demo; `stop()` ends everything it started. */
export interface ConnectDemo {
  controlPlaneUrl: string;
  cloudUrl: string;
  workspaceId: string;
  /** The admin's browser session: the cookie and the CSRF token mutating calls need. */
  session: { cookie: string; csrfToken: string };
  /** The dashboard at the control plane's URL, when the demo serves it. */
  dashboardUrl: string | undefined;
  /** A new one-time sign-in link for the demo admin (valid 15 minutes). */
  signInLink(): Promise<string>;
  /** The customer's data bucket, in the Worker role's scope. */
  dataBucket: string;
  /** AWS SDK client config acting as the customer's administrator. */
  customerConfig: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  stop(): Promise<void>;
}

/** Options of the connect flow. */
export interface ConnectDemoOptions {
  /** How long the workspace may take to become Active. */
  timeoutMs?: number;
  /** More control-plane settings as FERRY_* variables (e.g. the compute ones). */
  env?: Readonly<Record<string, string>>;
  /** The dashboard's built assets, served at `/` (none when absent). */
  dashboardDir?: string;
  /** Build the worker bundles while the workspace connects (the demo launches a cluster). */
  prebuildWorkerBundles?: boolean;
}

const REGION = 'us-east-1';
const PASSWORD = 'demo password, local only';

interface SetupView {
  workspaceState: string;
  status: string;
  reason: string | null;
  stages: { stage: string; at: string }[];
  checks: { name: string; outcome: string; message: string; awsErrorCode: string | null }[];
}

/** Runs the connect flow; throws with a clear message when a step fails. */
export async function runConnectDemo(
  io: CliIo,
  options: ConnectDemoOptions = {},
): Promise<ConnectDemo> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const { start: startCloud } = await import('@ferry/localcloud');
  const cp = await import('@ferry/control-plane');
  const cloud = await startCloud({ port: 0, logLevel: 'warn' });
  const dataDir = await mkdtemp(join(tmpdir(), 'ferry-demo-'));
  let server: Awaited<ReturnType<typeof cp.start>> | undefined;
  const stop = async () => {
    await server?.stop();
    await cloud.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const account = async (name: string): Promise<Account> => {
      const res = await fetch(`${cloud.url}/_localcloud/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      if (res.status !== 201)
        throw new Error(`localcloud refused to create an account (${res.status})`);
      return (await res.json()) as Account;
    };
    const platform = await account('ferry-platform');
    const customer = await account('customer');
    io.stdout(
      `localcloud: ${cloud.url} (platform ${platform.accountId}, customer ${customer.accountId})\n`,
    );
    let setupLine = '';
    const config = cp.loadConfig({
      flags: { listenHost: '127.0.0.1', listenPort: 0, dataDir, logLevel: 'warn' },
      env: {
        FERRY_AWS_REGION: REGION,
        FERRY_AWS_ENDPOINT_URL: cloud.url,
        FERRY_AWS_ACCESS_KEY_ID: platform.accessKeyId,
        FERRY_AWS_SECRET_ACCESS_KEY: platform.secretAccessKey,
        FERRY_JOBS_POLL_INTERVAL_MS: '200',
        FERRY_JOBS_PHONE_HOME_EVERY_MS: '300',
        FERRY_JOBS_PHONE_HOME_WAIT_SECONDS: '1',
        FERRY_JOBS_DRIFT_EVERY_MS: '60000',
        ...options.env,
      },
    });
    server = await cp.start({
      config,
      ...(options.dashboardDir !== undefined ? { dashboardDir: options.dashboardDir } : {}),
      ...(options.prebuildWorkerBundles ? { prebuildWorkerBundles: true } : {}),
      bootstrapAdminEmail: 'admin@example.com',
      print: (line) => (setupLine += line),
      onStart: ({ resources }) => {
        cp.configureAwsServices(resources, { verifyRetryMs: 1000, retryDelayMs: 500 });
      },
    });
    const base = server.url;
    io.stdout(`control plane: ${base} (embedded database in a temporary directory)\n`);
    if (options.dashboardDir !== undefined) {
      // The dashboard is the control plane's own page: check it answers before saying so.
      const page = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
      const html = await page.text();
      if (page.status !== 200 || !html.includes('<div id="root">'))
        throw new Error(`the dashboard did not answer at ${base}/ (${page.status})`);
      io.stdout(`dashboard: ${base}/\n`);
    }
    const p = await cp.initPlatform(server.resources);
    io.stdout(
      `platform init: topic ${p.topicArn}, queue ${p.queueUrl}, bucket ${p.templateBucket}\n`,
    );

    const token = /#token=([^\s]+)/.exec(setupLine)?.[1] ?? '';
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const setupRes = await post('/api/v1/auth/setup', {
      token,
      email: 'admin@example.com',
      name: 'Demo Admin',
      password: PASSWORD,
    });
    if (setupRes.status !== 201) throw new Error(`creating the admin failed (${setupRes.status})`);
    const login = await post('/api/v1/auth/login', {
      email: 'admin@example.com',
      password: PASSWORD,
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const auth = { cookie, 'x-csrf-token': csrfToken };
    const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} failed (${res.status}): ${text}`);
      return JSON.parse(text) as T;
    };
    const org = await call<{ id: string }>('POST', '/api/v1/orgs', { name: 'Demo Org' });
    const ws = await call<{ id: string }>('POST', `/api/v1/orgs/${org.id}/workspaces`, {
      name: 'Demo Workspace',
    });
    io.stdout(`organization ${org.id}, workspace ${ws.id}\n`);

    const customerConfig = {
      endpoint: cloud.url,
      region: REGION,
      credentials: { accessKeyId: customer.accessKeyId, secretAccessKey: customer.secretAccessKey },
    };
    const bucket = `demo-data-${customer.accountId}`;
    const s3 = new S3Client({ ...customerConfig, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
    const setup = await call<{
      externalId: string;
      instructions: {
        stackName: string;
        templateUrl: string;
        quickCreateUrl: string;
        parameters: { ParameterKey: string; ParameterValue: string }[];
      };
    }>('POST', `/api/v1/workspaces/${ws.id}/aws-setup`, {
      region: REGION,
      network: { kind: 'new' },
      allowedClientCidr: '127.0.0.1/32',
      workerBuckets: [bucket],
    });
    io.stdout(
      `aws setup: external ID ${setup.externalId}\n  quick-create: ${setup.instructions.quickCreateUrl}\n`,
    );
    const cfn = new CloudFormationClient(customerConfig);
    await cfn.send(
      new CreateStackCommand({
        StackName: setup.instructions.stackName,
        TemplateURL: setup.instructions.templateUrl,
        Parameters: setup.instructions.parameters,
        Capabilities: ['CAPABILITY_NAMED_IAM'],
      }),
    );
    cfn.destroy();
    io.stdout(`customer: stack ${setup.instructions.stackName} created; waiting for its stages\n`);

    const deadline = Date.now() + timeoutMs;
    let printed = 0;
    let view: SetupView;
    for (;;) {
      view = await call<SetupView>('GET', `/api/v1/workspaces/${ws.id}/aws-setup`);
      for (const s of view.stages.slice(printed)) io.stdout(`  stage ${s.stage} at ${s.at}\n`);
      printed = view.stages.length;
      if (view.workspaceState === 'Active' || view.status === 'failed') break;
      if (Date.now() > deadline)
        throw new Error(`the workspace did not become Active (status ${view.status})`);
      await new Promise((r) => setTimeout(r, 300));
    }
    io.stdout('verification checks:\n');
    for (const c of view.checks) {
      io.stdout(
        `  ${c.outcome.padEnd(7)} ${c.name}${c.outcome === 'pass' ? '' : ` — ${c.message}`}\n`,
      );
    }
    if (view.workspaceState !== 'Active')
      throw new Error(`verification failed: ${view.reason ?? ''}`);
    io.stdout(`workspace ${ws.id} is Active\n`);
    const running = server;
    return {
      controlPlaneUrl: base,
      cloudUrl: cloud.url,
      workspaceId: ws.id,
      session: { cookie, csrfToken },
      dashboardUrl: options.dashboardDir !== undefined ? `${base}/` : undefined,
      signInLink: async () =>
        (await cp.issueSignInLink(running.resources, 'admin@example.com')).url,
      customerConfig,
      dataBucket: bucket,
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
