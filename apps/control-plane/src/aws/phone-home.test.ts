import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceRows } from '../compute/cluster-fixture.ts';
import { describeEachBackend } from '../testing/backends.ts';
import { answerPhoneHome, handlePhoneHome, type CustomResourceRequest } from './phone-home.ts';
import { loadSetup, storeResult, type VerifyMode } from './verifier.ts';
import { PHONE_HOME_RESOURCE_TYPE } from '@ferry/aws-template';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A ResponseURL endpoint that answers each PUT with the next of `answers` ('reset' drops it). */
async function responseUrl(answers: (number | 'reset')[], bodies: string[]): Promise<string> {
  server = createServer((req, res) => {
    const answer = answers.shift() ?? 200;
    if (answer === 'reset') {
      req.socket.destroy();
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/response`;
}

const request = (url: string): CustomResourceRequest => ({
  RequestType: 'Create',
  ResponseURL: url,
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/ferry/1',
  RequestId: 'r-1',
  LogicalResourceId: 'PhoneHomeNetwork',
  ResourceType: 'Custom::FerryPhoneHome',
  ResourceProperties: {},
});

describe('answering a phone-home custom resource', () => {
  it('retries a dropped connection and a 5xx until the answer is taken', async () => {
    const bodies: string[] = [];
    const url = await responseUrl(['reset', 503], bodies);
    await answerPhoneHome(request(url), { status: 'SUCCESS', stage: 'Network', connected: false });
    // The 503 and the accepted PUT carried the same answer; the reset one never arrived.
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toBe(bodies[1]);
    expect(JSON.parse(bodies[1]!)).toMatchObject({ Status: 'SUCCESS', Data: { Stage: 'Network' } });
  });

  it('gives up at once on a 4xx (a presigned URL that expired stays expired)', async () => {
    const bodies: string[] = [];
    const url = await responseUrl([403], bodies);
    await expect(
      answerPhoneHome(request(url), { status: 'SUCCESS', stage: 'Network', connected: false }),
    ).rejects.toThrow('HTTP 403');
    expect(bodies).toHaveLength(1);
  });
});

describeEachBackend('binding a workspace to the stack’s account', (ctx) => {
  const EXTERNAL_ID = `ferry-${'b'.repeat(43)}`;
  let workspaceId = '';

  const phoneHome = (
    account: string,
    extra: Record<string, unknown> = {},
    RequestType: CustomResourceRequest['RequestType'] = 'Create',
  ) =>
    handlePhoneHome(ctx().resources, {
      RequestType,
      ResponseURL: 'http://127.0.0.1:9/unused',
      StackId: `arn:aws:cloudformation:us-east-1:${account}:stack/ferry/1`,
      RequestId: 'r-1',
      LogicalResourceId: 'PhoneHomeNetwork',
      ResourceType: PHONE_HOME_RESOURCE_TYPE,
      ResourceProperties: {
        WorkspaceId: workspaceId,
        Stage: 'Network',
        ExternalId: EXTERNAL_ID,
        AccountId: account,
        UserInitiatedRoleArn: `arn:aws:iam::${account}:role/ferry-user`,
        ...extra,
      },
    });

  it('binds the first account whose roles are its own, and refuses and audits a second', async () => {
    const { resources } = ctx();
    const rows = await workspaceRows(resources);
    workspaceId = rows.workspaceId;
    const now = resources.clock.now();
    const db = resources.db;
    await db
      .insertInto('aws_external_ids')
      .values({ external_id: EXTERNAL_ID, workspace_id: workspaceId, created_at: now })
      .execute();
    await db
      .insertInto('aws_setups')
      .values({
        workspace_id: workspaceId,
        org_id: rows.orgId,
        external_id: EXTERNAL_ID,
        region: 'us-east-1',
        request: JSON.stringify({}),
        status: 'pending',
        reason: null,
        account_id: null,
        stages: '[]',
        outputs: '{}',
        checks: '[]',
        setup_link_hash: 'c'.repeat(64),
        setup_link_expires_at: now,
        connected_at: null,
        verified_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    // Role ARNs of another account are not the stack's own roles.
    const borrowed = await phoneHome('111111111111', {
      UserInitiatedRoleArn: 'arn:aws:iam::222222222222:role/ferry-user',
    });
    expect(borrowed.status).toBe('FAILED');
    expect((await phoneHome('111111111111')).status).toBe('SUCCESS');
    const second = await phoneHome('333333333333');
    expect(second.status).toBe('FAILED');
    const setup = await db
      .selectFrom('aws_setups')
      .select('account_id')
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    expect(setup.account_id).toBe('111111111111');
    const audited = await resources.db
      .selectFrom('audit_log')
      .select(['action', 'outcome', 'details'])
      .where('workspace_id', '=', workspaceId)
      .where('action', '=', 'aws.phoneHome.refused')
      .execute();
    expect(audited).toHaveLength(1);
    expect(audited[0]?.outcome).toBe('denied');
    expect(JSON.stringify(audited[0]?.details)).toContain('333333333333');
  });

  it('enqueues the verification with the Connected status, once; a refused account none', async () => {
    const { resources } = ctx();
    const verifyJobs = () =>
      resources.db
        .selectFrom('jobs')
        .select(['payload', 'status'])
        .where('name', '=', 'aws.setup.verify')
        .where('dedupe_key', '=', `aws.verify:${workspaceId}`)
        .execute();
    expect(await verifyJobs()).toEqual([]);
    expect((await phoneHome('333333333333', { Stage: 'Connected' })).status).toBe('FAILED');
    expect(await verifyJobs()).toEqual([]);
    expect((await phoneHome('111111111111', { Stage: 'Connected' })).status).toBe('SUCCESS');
    // SQS may deliver the message twice: still one pending verification.
    expect((await phoneHome('111111111111', { Stage: 'Connected' })).status).toBe('SUCCESS');
    expect(await verifyJobs()).toEqual([{ payload: { workspaceId }, status: 'queued' }]);
    const setup = await resources.db
      .selectFrom('aws_setups')
      .select('status')
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    expect(setup.status).toBe('connected');
  });

  it('a verification that ends after the stack was deleted leaves the workspace disconnected', async () => {
    const { resources } = ctx();
    const status = async () =>
      (
        await resources.db
          .selectFrom('aws_setups')
          .select('status')
          .where('workspace_id', '=', workspaceId)
          .executeTakeFirstOrThrow()
      ).status;
    const passing = [
      {
        name: 'UserInitiated: ec2:DescribeImages',
        role: 'UserInitiated',
        outcome: 'pass' as const,
        awsErrorCode: null,
        message: 'allowed',
        fixHint: null,
      },
    ];
    // Each mode's checks start on the connected setup; the stack is deleted while they run.
    for (const mode of ['auto', 'manual', 'drift'] satisfies VerifyMode[]) {
      expect((await phoneHome('111111111111', { Stage: 'Connected' })).status).toBe('SUCCESS');
      await resources.db
        .updateTable('workspaces')
        .set({ state: 'Active' })
        .where('id', '=', workspaceId)
        .execute();
      const verifying = await loadSetup(resources, workspaceId);
      await phoneHome('111111111111', { Stage: 'Connected' }, 'Delete');
      expect(await status()).toBe('disconnected');
      await storeResult(resources, verifying, { checks: passing, startedAt: new Date() }, mode);
      expect(await status(), mode).toBe('disconnected');
      const ws = await resources.db
        .selectFrom('workspaces')
        .select('state')
        .where('id', '=', workspaceId)
        .executeTakeFirstOrThrow();
      expect(ws.state, mode).toBe('Failed');
    }
  });

  it('a verification that started before the stored one does not overwrite it', async () => {
    const { resources } = ctx();
    expect((await phoneHome('111111111111', { Stage: 'Connected' })).status).toBe('SUCCESS');
    const setup = await loadSetup(resources, workspaceId);
    const check = (outcome: 'pass' | 'fail') => ({
      name: 'Unattended: AssumeRole with a wrong external ID is refused',
      role: 'Unattended',
      outcome,
      awsErrorCode: null,
      message: outcome,
      fixHint: null,
    });
    const older = new Date(Date.now() - 5000);
    // The newer checks (passing) land first; the older ones (failing) come back later.
    await storeResult(
      resources,
      setup,
      { checks: [check('pass')], startedAt: new Date() },
      'manual',
    );
    await storeResult(resources, setup, { checks: [check('fail')], startedAt: older }, 'drift');
    const stored = await resources.db
      .selectFrom('aws_setups')
      .select(['status', 'checks'])
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    expect(stored.status).toBe('active');
    expect(JSON.stringify(stored.checks)).not.toContain('"fail"');
  });
});
