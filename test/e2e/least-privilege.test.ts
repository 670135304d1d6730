/**
 * The least-privilege comparison itself (the run's check is in `least-privilege-setup.ts`):
 * it fails on a grant no path uses, on an undeclared action, and on a stale extra; and the
 * journal counts only what ferry signed and really did.
 */
import { PERMISSIONS } from '@ferry/aws-template';
import type { AuthorizationEvent } from '@ferry/localcloud';
import { describe, expect, it } from 'vitest';
import { journalEntryOf, type JournalEntry } from './fixtures/aws-journal.ts';
import { compareWithRegistry, DELIBERATE_EXTRAS, describeReport } from './least-privilege.ts';

const used = (pairs: [string, string][]): JournalEntry[] =>
  pairs.map(([role, action]) => ({ role, action, operation: action }) as JournalEntry);
const everything = used(PERMISSIONS.map((e) => [e.role, e.action]));

describe('least privilege in both directions', () => {
  it('holds when the journal is exactly the registry', () => {
    const report = compareWithRegistry(everything, PERMISSIONS, []);
    expect(report.ok).toBe(true);
    expect(describeReport(report)).toHaveLength(1);
  });

  it('fails on a grant no path uses, unless it is a deliberate extra with its reason', () => {
    const [first, ...rest] = everything;
    const report = compareWithRegistry(rest, PERMISSIONS, []);
    expect(report.ok).toBe(false);
    expect(report.unused).toEqual([{ role: first!.role, action: first!.action }]);
    expect(describeReport(report).join('\n')).toContain(`${first!.role} ${first!.action}`);
    const extra = { role: first!.role, action: first!.action, reason: 'failure path only' };
    expect(compareWithRegistry(rest, PERMISSIONS, [extra]).ok).toBe(true);
    // An extra the suite used after all is stale.
    expect(compareWithRegistry(everything, PERMISSIONS, [extra]).extrasUsed).toEqual([extra]);
  });

  it('fails on an action ferry was allowed that the registry does not declare', () => {
    const report = compareWithRegistry(
      [...everything, ...used([['Worker', 'ec2:RunInstances']])],
      PERMISSIONS,
      [],
    );
    expect(report.ok).toBe(false);
    expect(report.undeclared.map((e) => e.action)).toEqual(['ec2:RunInstances']);
  });

  it('lists each deliberate extra with a reason, and only registry entries', () => {
    for (const e of DELIBERATE_EXTRAS) expect(e.reason.length, e.action).toBeGreaterThan(10);
    expect(compareWithRegistry(everything).extrasUnknown).toEqual([]);
  });
});

describe('the AWS journal', () => {
  const platform = '999999999999';
  const base: AuthorizationEvent = {
    accountId: '123456789012',
    callerArn: 'arn:aws:sts::123456789012:assumed-role/ferry-ws_01-user-initiated/user-u1',
    principalArn: 'arn:aws:iam::123456789012:role/ferry-ws_01-user-initiated',
    action: 'iam:PassRole',
    resource: 'arn:aws:iam::123456789012:role/ferry-ws_01-worker',
    operation: 'ec2:CreateFleet',
    allowed: true,
    dryRun: false,
    userAgent: 'aws-sdk-js/3.0.0 ua/2.1 api/ec2#3.0.0 app/ferry',
    presigned: false,
  };

  it('records what ferry signed, as the role it used', () => {
    expect(journalEntryOf(base, platform)).toEqual({
      role: 'UserInitiated',
      action: 'iam:PassRole',
      operation: 'ec2:CreateFleet',
    });
    const platformCall = {
      ...base,
      accountId: platform,
      callerArn: `arn:aws:iam::${platform}:user/admin`,
      principalArn: `arn:aws:iam::${platform}:user/admin`,
      action: 's3:GetObject',
      userAgent: 'node',
      presigned: true,
    };
    expect(journalEntryOf(platformCall, platform)?.role).toBe('Platform');
    const node = {
      ...base,
      callerArn: 'arn:aws:sts::123456789012:assumed-role/ferry-ws_01-worker/i-0a1b2c3d4e5f60718',
      principalArn: 'arn:aws:iam::123456789012:role/ferry-ws_01-worker',
      action: 's3:GetObject',
      userAgent: 'object_store/0.12',
    };
    expect(journalEntryOf(node, platform)?.role).toBe('Worker');
  });

  it('ignores denials, dry runs, other clients and other principals', () => {
    expect(journalEntryOf({ ...base, allowed: false }, platform)).toBeUndefined();
    expect(journalEntryOf({ ...base, dryRun: true }, platform)).toBeUndefined();
    expect(journalEntryOf({ ...base, userAgent: 'aws-cli/2.0' }, platform)).toBeUndefined();
    const admin = {
      ...base,
      callerArn: 'arn:aws:iam::123456789012:user/admin',
      principalArn: 'arn:aws:iam::123456789012:user/admin',
    };
    expect(journalEntryOf(admin, platform)).toBeUndefined();
  });
});
