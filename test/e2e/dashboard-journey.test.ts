/**
 * The dashboard in a real browser (Debian's Chromium via playwright-core), on a fresh
 * instance against localcloud: the printed setup link, the admin, an organization and a
 * workspace, Deploy to AWS → localcloud's quick-create page → the stack, the five stages
 * and the checks, a cluster Idle with its logs, queries run on it from the SDK followed on
 * the cluster's, the workspace's and the query's pages (a failure with polars' error), the
 * ops team's setup page without signing
 * in, settings, service accounts, the audit log, a member invited and accepting in a
 * second browser profile, `ferry login --browser` approved on the device page (the CLI's
 * token then works for `whoami`), and a data connection to a data owner's bucket: prepared,
 * its role created by the owner with the copied policies, its ARN entered, tested (a row per
 * check) and saved Verified. Every step is photographed (`npm run docs:screenshots` copies
 * them into docs/img/dashboard/); no page logs an error; axe-core finds nothing serious.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createBufferIo, runCli } from '@ferry/cli';
import { ComputeContext, QueryFailedError, sql } from '@ferry/sdk';
import type { RunningServer } from '@ferry/control-plane';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from './fixtures/browser.ts';
import { workerCommand, type Account } from './fixtures/connected-workspace.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the run leaves its screenshots (the docs script copies them from here). */
export const SHOTS_DIR = join(REPO, '.ferry/screenshots/dashboard');
const REGION = 'us-east-1';
const ADMIN = {
  email: 'admin@example.com',
  name: 'Ada Admin',
  password: 'correct horse battery staple',
};
const MEMBER = {
  email: 'member@example.com',
  name: 'Max Member',
  password: 'another long passphrase',
};
const LONG = 240_000;

describe('dashboard journey in Chromium', () => {
  let cloud: { url: string; stop(): Promise<void> };
  let server: RunningServer | undefined;
  let dataDir: string;
  let customer: Account;
  let owner: Account;
  const ownerBucket = 'sales-data-bucket';
  let setupLink = '';
  let browser: TestBrowser;
  let base = '';

  beforeAll(async () => {
    process.env.LOCALCLOUD_EC2_PENDING_MS ??= '300';
    process.env.LOCALCLOUD_EC2_SHUTTING_DOWN_MS ??= '1000';
    process.env.LOCALCLOUD_EC2_KILL_GRACE_MS ??= '1000';
    const { ensureDashboardBuilt } = await import('@ferry/dashboard');
    const dashboardDir = await ensureDashboardBuilt();
    const { start: startCloud } = await import('@ferry/localcloud');
    const cp = await import('@ferry/control-plane');
    cloud = await startCloud({ port: 0, logLevel: 'warn' });
    const account = async (name: string): Promise<Account> => {
      const res = await fetch(`${cloud.url}/_localcloud/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      if (res.status !== 201) throw new Error(`localcloud account ${name}: ${res.status}`);
      return (await res.json()) as Account;
    };
    const platform = await account('platform');
    customer = await account('customer');
    dataDir = await mkdtemp(join(tmpdir(), 'ferry-dashboard-e2e-'));
    const config = cp.loadConfig({
      flags: { listenHost: '127.0.0.1', listenPort: 0, dataDir },
      env: {
        FERRY_AWS_REGION: REGION,
        FERRY_AWS_ENDPOINT_URL: cloud.url,
        FERRY_AWS_ACCESS_KEY_ID: platform.accessKeyId,
        FERRY_AWS_SECRET_ACCESS_KEY: platform.secretAccessKey,
        FERRY_JOBS_POLL_INTERVAL_MS: '100',
        FERRY_JOBS_PHONE_HOME_EVERY_MS: '200',
        FERRY_JOBS_PHONE_HOME_WAIT_SECONDS: '1',
        FERRY_JOBS_DRIFT_EVERY_MS: '60000',
        FERRY_LOG_LEVEL: 'warn',
        FERRY_RATE_LIMIT_PER_MINUTE: '100000',
      },
    });
    config.compute = {
      ...config.compute,
      minIdleTimeoutMins: 1,
      heartbeatSeconds: 1,
      workerCommand: workerCommand(),
      launchGraceMs: 30_000,
    };
    config.jobs = { ...config.jobs, reconcileEveryMs: 2000, reapEveryMs: 3000 };
    let printed = '';
    server = await cp.start({
      config,
      dashboardDir,
      print: (line) => (printed += line),
      onStart: ({ resources }) => {
        cp.configureAwsServices(resources, {
          propagationWindowMs: 60_000,
          retryDelayMs: 500,
          verifyRetryMs: 1000,
        });
      },
    });
    base = server.url;
    await cp.initPlatform(server.resources);
    setupLink = /(http:\/\/\S+\/setup#token=\S+)/.exec(printed)?.[1] ?? '';
    // The customer's data bucket, which the workspace's Worker role is scoped to.
    const s3 = new S3Client({
      endpoint: cloud.url,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: customer.accessKeyId, secretAccessKey: customer.secretAccessKey },
    });
    await s3.send(new CreateBucketCommand({ Bucket: `data-${customer.accountId}` }));
    s3.destroy();
    // A data owner's account with a bucket of events, for a data connection.
    owner = await account('data-owner');
    const ownerS3 = new S3Client({
      endpoint: cloud.url,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: owner.accessKeyId, secretAccessKey: owner.secretAccessKey },
    });
    await ownerS3.send(new CreateBucketCommand({ Bucket: ownerBucket }));
    await ownerS3.send(
      new PutObjectCommand({ Bucket: ownerBucket, Key: 'events/2026/a.json', Body: '{"n":1}\n' }),
    );
    ownerS3.destroy();
    browser = await launchBrowser(SHOTS_DIR);
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await cloud?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, LONG);

  /** Photographs the page and scans it; a serious violation fails at the end with the rest. */
  const step = async (page: Page, name: string) => {
    await page.waitForLoadState('networkidle').catch(() => {});
    await browser.shot(page, name);
    await browser.axe(page, name);
  };

  it('takes a first-time admin from the setup link to an Idle cluster, and a member in', async () => {
    expect(setupLink).toMatch(/\/setup#token=ferry_setup_/);
    const admin = await browser.newContext();
    await admin.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const page = await admin.newPage();

    // 1. The printed setup link creates the instance admin.
    await page.goto(setupLink);
    await page.getByRole('heading', { name: 'Set up ferry' }).waitFor();
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Name').fill(ADMIN.name);
    await page.getByLabel('Password').fill(ADMIN.password);
    await step(page, 'setup');
    await page.getByRole('button', { name: 'Create admin' }).click();
    await page.getByRole('heading', { name: 'Instance admin created' }).waitFor();

    // 2. Sign in.
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await step(page, 'sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();

    // 3. An organization, then a workspace named on its page.
    await page.getByRole('heading', { name: `Welcome, ${ADMIN.name}` }).waitFor();
    await step(page, 'welcome');
    await page.getByLabel('Organization name').fill('Acme Analytics');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name: 'Acme Analytics', level: 1 }).waitFor();
    await page.getByLabel('Workspace name').fill('analytics');
    await step(page, 'name-workspace');
    await page.getByRole('button', { name: 'Create workspace and connect AWS' }).click();

    // 4. Connect AWS: region, network, client range and bucket scope.
    await page.getByRole('heading', { name: 'Connect analytics to AWS' }).waitFor();
    await expect
      .poll(() => page.getByRole('region', { name: 'Workspace not connected' }).count(), {
        timeout: 30_000,
      })
      .toBe(0);
    await page.getByLabel('Clients allowed to reach clusters (CIDR)').fill('127.0.0.1/32');
    await page
      .getByLabel('S3 buckets the workers may read and write')
      .fill(`data-${customer.accountId}`);
    await step(page, 'connect-aws-form');
    await page.getByRole('button', { name: 'Prepare the stack' }).click();
    const deploy = page.getByRole('link', { name: /Deploy to AWS/ });
    await deploy.waitFor();
    await page.getByText('Other ways: the template, the AWS CLI').click();
    await expect
      .poll(() => page.getByLabel('AWS CLI command').textContent(), { timeout: 30_000 })
      .toContain('aws cloudformation create-stack');
    await step(page, 'deploy-options');

    // 5. Copy setup link → the ops team's page, in a browser that never signed in.
    await page.getByRole('button', { name: 'Copy setup link' }).click();
    const opsLink = String(await page.evaluate('navigator.clipboard.readText()'));
    expect(opsLink).toContain('/api/v1/aws-setup-link?token=ferry_setup_');
    const ops = await browser.newContext();
    const opsPage = await ops.newPage();
    await opsPage.goto(opsLink);
    await opsPage.getByRole('heading', { name: 'Connect an AWS account to ferry' }).waitFor();
    await opsPage.getByRole('link', { name: /Deploy to AWS/ }).waitFor();
    expect(new URL(opsPage.url()).pathname).toBe('/ops-setup');
    await step(opsPage, 'ops-setup-link');
    await ops.close();

    // 6. Deploy to AWS: localcloud's quick-create page, IAM acknowledged, stack created.
    const [console] = await Promise.all([admin.waitForEvent('page'), deploy.click()]);
    await console.waitForLoadState();
    expect(console.url()).toContain(`${cloud.url}/console/cloudformation/home`);
    await console.locator('#accessKeyId').fill(customer.accessKeyId);
    await console.locator('#secretAccessKey').fill(customer.secretAccessKey);
    await console.locator('#load').click();
    await console.locator('#ackIam').waitFor({ state: 'visible' });
    await console.locator('#ackIam').check();
    await browser.shot(console, 'quick-create');
    await console.locator('#create').click();
    await expect
      .poll(() => console.locator('#stackStatus').textContent(), { timeout: 120_000 })
      .toMatch(/CREATE_(IN_PROGRESS|COMPLETE)/);
    await browser.shot(console, 'stack-created');
    await console.close();

    // 7. Back in the dashboard: the five stages reach Connected, the checks pass.
    await page.bringToFront();
    await page
      .getByRole('heading', { name: 'Your workspace is connected' })
      .waitFor({ timeout: 150_000 });
    for (const stage of ['Network', 'Security', 'Policies', 'Deploying', 'Connected']) {
      await expect
        .poll(() => page.locator('.stage-done').filter({ hasText: stage }).count(), {
          timeout: 30_000,
        })
        .toBe(1);
    }
    const outcomes = await page.locator('table >> tbody tr td:nth-child(2)').allTextContents();
    expect(outcomes.length).toBeGreaterThan(5);
    expect(outcomes).not.toContain('fail');
    expect(outcomes).toContain('pass');
    await step(page, 'connected');

    // 8. Start a cluster: the instance type, why and $/hour before starting.
    await page.getByRole('link', { name: 'Start a cluster' }).click();
    await page.getByRole('heading', { name: 'Clusters', level: 1 }).waitFor();
    const summary = page.locator('.selection-summary');
    await summary.waitFor({ timeout: 60_000 });
    expect(await summary.textContent()).toMatch(/\S+\.\S+ at \$\d+\.\d{4}\/hour/);
    expect(await page.locator('.selection-reason').textContent()).toMatch(/^Why: .+/);
    await step(page, 'start-cluster');
    await page.getByRole('button', { name: /^Start .* cluster$/ }).click();

    // 9. The cluster's page: Idle, its node, live logs, charts, timeline, cost.
    await page.getByRole('heading', { name: /^Cluster cl_/ }).waitFor();
    await expect
      .poll(() => page.getByTestId('cluster-state').textContent(), {
        timeout: 150_000,
        interval: 1000,
      })
      .toBe('Idle');
    await expect
      .poll(() => page.getByTestId('cluster-logs').textContent(), {
        timeout: 60_000,
        interval: 1000,
      })
      .not.toBe('No log lines yet.');
    await expect
      .poll(() => page.locator('.timeline li').count(), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);
    await expect.poll(() => page.locator('figure.chart svg').count(), { timeout: 30_000 }).toBe(2);
    await step(page, 'cluster-idle');
    const clusterUrl = page.url();

    // 9b. Queries from the SDK (as a user runs them), followed in the dashboard.
    const [, workspaceId = '', clusterId = ''] =
      /\/workspaces\/([^/]+)\/clusters\/([^/?]+)/.exec(clusterUrl) ?? [];
    const ctx = await ComputeContext.connect(clusterId, {
      url: base,
      token: await personalToken(base, ADMIN),
      workspace: workspaceId,
    });
    const ok = await sql(ctx, 'SELECT 1 AS one, 2 AS two').execute();
    expect(ok.rowCount).toBe(1);
    const missing = `s3://data-${customer.accountId}/nothing-here/*.parquet`;
    const failedQuery = await sql(ctx, `SELECT * FROM read_parquet('${missing}')`)
      .execute()
      .then(
        () => undefined,
        (err: unknown) => (err instanceof QueryFailedError ? err : undefined),
      );
    if (failedQuery === undefined) throw new Error('reading a missing location did not fail');
    await expect
      .poll(() => page.getByTestId('query-table').locator('tbody tr').count(), {
        timeout: 30_000,
      })
      .toBe(2);
    await step(page, 'cluster-queries');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Queries' })
      .click();
    await page.getByRole('heading', { name: 'Queries', level: 1 }).waitFor();
    await expect
      .poll(() => page.getByTestId('query-table').locator('tbody tr').count(), {
        timeout: 30_000,
      })
      .toBe(2);
    await step(page, 'queries');
    await page.getByRole('link', { name: ok.id }).click();
    await expect
      .poll(() => page.getByTestId('query-state').textContent(), { timeout: 30_000 })
      .toBe('Succeeded');
    expect(await page.getByTestId('query-rows').textContent()).toBe('1');
    expect(await page.getByTestId('query-location').textContent()).toMatch(/^s3:\/\//);
    await page.getByTestId('query-profile').waitFor({ timeout: 30_000 });
    await step(page, 'query');
    await page.goto(`${base}/workspaces/${workspaceId}/queries/${failedQuery.queryId}`);
    await expect
      .poll(() => page.getByTestId('query-state').textContent(), { timeout: 30_000 })
      .toBe('Failed');
    // polars' error, verbatim.
    expect(await page.getByTestId('query-error').textContent()).toBe(failedQuery.message);
    await step(page, 'query-failed');

    // 10. Settings: rename the workspace; a service account; the audit log, filtered.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Settings' })
      .click();
    await page.locator('input[name="name"]').fill('analytics-prod');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByRole('heading', { name: 'Workspace: analytics-prod' }).waitFor();
    await step(page, 'workspace-settings');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Service accounts' })
      .click();
    await page.getByLabel('Name').fill('nightly-etl');
    await page.getByRole('button', { name: 'Create service account' }).click();
    await expect
      .poll(() => page.getByLabel('Client secret').textContent(), { timeout: 30_000 })
      .toMatch(/^ferry_sas_/);
    await step(page, 'service-accounts');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Audit log' })
      .click();
    await page.getByLabel('Action').fill('workspace*');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect
      .poll(() => page.locator('tbody code').first().textContent(), { timeout: 30_000 })
      .toMatch(/^workspace/);
    const actions = await page.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(actions.every((a) => a.startsWith('workspace'))).toBe(true);
    await step(page, 'audit-log');

    // 11. Invite a member, who accepts in a second browser profile.
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Workspaces & members' })
      .click();
    await page.getByLabel('Email').fill(MEMBER.email);
    await page.getByRole('button', { name: 'Create invitation' }).click();
    const invitation = (await page.getByLabel('Invitation link').textContent()) ?? '';
    expect(invitation).toMatch(/\/invitations#token=ferry_inv_/);
    await step(page, 'invite-member');
    const second = await browser.newContext();
    const memberPage = await second.newPage();
    await memberPage.goto(invitation);
    await memberPage.getByLabel('Your name').fill(MEMBER.name);
    await memberPage.getByLabel('Password').fill(MEMBER.password);
    await step(memberPage, 'accept-invitation');
    await memberPage.getByRole('button', { name: 'Create account and join' }).click();
    await memberPage.getByRole('heading', { name: 'Acme Analytics', level: 1 }).waitFor();
    await memberPage.getByText('You are member of this organization.').waitFor();
    await step(memberPage, 'member-joined');
    await page.reload();
    await page.getByRole('cell', { name: MEMBER.email }).first().waitFor();

    // 12. The same page on a phone-sized screen.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const phonePage = await phone.newPage();
    await phonePage.goto(invitation);
    await phonePage.getByRole('link', { name: 'Sign in instead' }).waitFor();
    await step(phonePage, 'phone-invitation');
    await phone.close();

    // 13. `ferry login --browser` (no terminal): the admin approves its code on the device page.
    const cliEnv = { FERRY_CONFIG_DIR: join(dataDir, 'cli-config') };
    const cliIo = {
      ...createBufferIo(),
      ask: () => Promise.reject(new Error('ferry prompted without a terminal')),
    };
    const cliLogin = runCli(['login', '--browser', '--url', base], cliIo, cliEnv);
    await expect
      .poll(() => /or open (\S+)/.exec(cliIo.err())?.[1], { timeout: 30_000 })
      .toBeTruthy();
    const deviceLink = /or open (\S+)/.exec(cliIo.err())![1]!;
    const userCode = /^ {4}([A-Z]{4}-[A-Z]{4})$/m.exec(cliIo.err())![1]!;
    expect(deviceLink).toBe(`${base}/device#code=${userCode}`);
    await page.goto(deviceLink);
    await page.getByRole('heading', { name: 'Device sign-in', level: 1 }).waitFor();
    await step(page, 'device-code');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect
      .poll(() => page.getByTestId('device-code').textContent(), { timeout: 30_000 })
      .toBe(userCode);
    await step(page, 'device-approve');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').filter({ hasText: 'Approved' }).waitFor();
    await step(page, 'device-approved');
    expect(await cliLogin, cliIo.err()).toBe(0);
    const whoamiIo = createBufferIo();
    expect(await runCli(['whoami', '--json'], whoamiIo, cliEnv), whoamiIo.err()).toBe(0);
    expect(JSON.parse(whoamiIo.out())).toMatchObject({ kind: 'user', email: ADMIN.email });

    // 14. A data connection to the data owner's bucket: prepare, the owner creates the role
    // with the copied policies (as the owner, through the AWS SDK), its ARN entered, the
    // test's checks, saved.
    await page.goto(`${base}/workspaces/${workspaceId}`);
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Connections' })
      .click();
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'New connection' }).click();
    await page.getByLabel('Connection name').fill('sales');
    await page.getByLabel('Description').fill('The sales team’s events');
    await page.getByLabel(/^Bucket/).fill(ownerBucket);
    await page.getByLabel('Read prefix').fill('events/');
    await page.getByLabel('Write prefix').fill('landed/');
    await page.getByRole('button', { name: 'Prepare', exact: true }).click();
    await page.getByTestId('connection-external-id').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('connection-external-id').textContent()).toMatch(/^ferry-/);
    await step(page, 'connection-prepare');
    const copied = async (label: string) => {
      await page
        .locator('.code-block')
        .filter({ has: page.getByLabel(label, { exact: true }) })
        .getByRole('button', { name: 'Copy' })
        .click();
      return String(await page.evaluate('navigator.clipboard.readText()'));
    };
    expect(await copied('AWS CLI commands')).toContain('aws iam create-role');
    expect(await copied('CloudFormation template')).toContain('AWS::IAM::Role');
    const trust = await copied('Trust policy');
    const permissions = await copied('Permissions policy');
    const roleName = (await page.getByTestId('connection-role-name').textContent()) ?? '';
    const iam = new IAMClient({
      endpoint: cloud.url,
      region: REGION,
      credentials: { accessKeyId: owner.accessKeyId, secretAccessKey: owner.secretAccessKey },
    });
    const role = await iam.send(
      new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'ferry-connection',
        PolicyDocument: permissions,
      }),
    );
    iam.destroy();
    await page.getByLabel('Role ARN').fill(role.Role!.Arn!);
    await expect.poll(() => page.getByLabel('Role ARN').inputValue()).toBe(role.Role!.Arn!);
    await step(page, 'connection-role-arn');
    // Test: one row per check (the role with, without and with a wrong external ID, then a
    // trial call per granted action), each passing; only then may it be saved.
    const save = page.getByRole('button', { name: 'Save connection' });
    expect(await save.isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const checks = page.getByTestId('connection-checks');
    await checks.waitFor({ timeout: 120_000 });
    const names = await checks.locator('tbody tr td:nth-child(1)').allTextContents();
    const results = await checks.locator('tbody tr td:nth-child(2)').allTextContents();
    const rows = names.map((n, i) => [n, results[i]]);
    expect(Object.fromEntries(rows)).toEqual({
      'AssumeRole with the external ID': 'pass',
      'AssumeRole without the external ID is refused': 'pass',
      'AssumeRole with a wrong external ID is refused': 'pass',
      's3:ListBucket': 'pass',
      's3:GetObject': 'pass',
      's3:PutObject': 'pass',
      's3:DeleteObject': 'pass',
    });
    await page.locator('.test-result').getByText('pass', { exact: true }).first().waitFor();
    await step(page, 'connection-test');
    // Save: tested once more and stored Verified; the connection's page opens.
    expect(await save.isDisabled()).toBe(false);
    await save.click();
    await page.getByRole('heading', { name: 'Connection sales', level: 1 }).waitFor({
      timeout: 120_000,
    });
    expect(await page.getByTestId('connection-state').textContent()).toBe('Verified');
    await step(page, 'connection-saved');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Connections' })
      .click();
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    await page.getByRole('cell', { name: 'sales', exact: true }).waitFor();
    await step(page, 'connections');

    // Stop the cluster: the run leaves nothing running.
    await page.goto(clusterUrl);
    await page.getByRole('button', { name: 'Stop cluster' }).click();
    await expect
      .poll(() => page.getByTestId('cluster-state').textContent(), {
        timeout: 120_000,
        interval: 1000,
      })
      .toBe('Stopped');

    // ferry's pages only: localcloud's quick-create console stands in for AWS's and is not
    // ferry's to answer for (its status polling logs a 403 while the stack is created).
    const ferryPages = (p: { page: string }) => !p.page.startsWith(`${cloud.url}/console/`);
    expect(browser.problems.filter(ferryPages)).toEqual([]);
    expect(browser.violations.filter(ferryPages)).toEqual([]);
  }, 600_000);
});

/** A personal access token of `user` that may run queries (signed in through the API). */
async function personalToken(
  base: string,
  user: { email: string; password: string },
): Promise<string> {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  expect(login.status).toBe(200);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const created = await fetch(`${base}/api/v1/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
    body: JSON.stringify({
      name: 'journey-sdk',
      scopes: ['workspace:read', 'compute:read', 'queries:run'],
      expiresInDays: 1,
    }),
  });
  expect(created.status).toBe(201);
  return ((await created.json()) as { secret: string }).secret;
}
