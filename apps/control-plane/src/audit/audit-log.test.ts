import { newId } from '@ferry/core';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachBackend } from '../testing/backends.ts';
import { listAudit } from './list-audit.ts';
import { createAwsCallAuditor } from './aws-call-auditor.ts';
import { recordAudit } from './record-audit.ts';

describeEachBackend('audit log', (ctx) => {
  it('is append-only in the database itself', async () => {
    const { resources } = ctx();
    const orgId = newId('org');
    await recordAudit(resources, {
      actorType: 'system',
      orgId,
      action: 'test.append',
      outcome: 'success',
    });
    await expect(sql`update audit_log set action = 'x'`.execute(resources.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from audit_log`.execute(resources.db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(resources.db)).rejects.toThrow(/append-only/);
    const page = await listAudit(resources.db, orgId, {});
    expect(page.items.map((e) => e.action)).toEqual(['test.append']);
  });

  it('records AWS calls with role ARN, session name and outcome', async () => {
    const { resources } = ctx();
    const orgId = newId('org');
    const workspaceId = newId('workspace');
    const auditor = createAwsCallAuditor(resources);
    const context = {
      orgId,
      workspaceId,
      roleArn: 'arn:aws:iam::123456789012:role/ferry-user-initiated',
      sessionName: 'ferry-compute-start',
      actor: { actorType: 'system' as const, actorId: null, tokenId: null },
    };
    expect(
      await auditor.track(context, { service: 'ec2', name: 'DescribeInstances' }, () =>
        Promise.resolve(42),
      ),
    ).toBe(42);
    const denied = Object.assign(new Error('no'), { name: 'UnauthorizedOperation' });
    await expect(
      auditor.track(context, { service: 'ec2', name: 'RunInstances' }, () =>
        Promise.reject(denied),
      ),
    ).rejects.toBe(denied);
    const page = await listAudit(resources.db, orgId, { action: 'aws.*' });
    expect(page.items.map((e) => [e.action, e.outcome])).toEqual(
      expect.arrayContaining([
        ['aws.ec2.DescribeInstances', 'success'],
        ['aws.ec2.RunInstances', 'denied'],
      ]),
    );
    expect(
      page.items.every(
        (e) => e.awsRoleArn === context.roleArn && e.awsSessionName === context.sessionName,
      ),
    ).toBe(true);
    expect(page.items.every((e) => e.workspaceId === workspaceId)).toBe(true);
  });
});
