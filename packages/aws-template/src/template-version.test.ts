import { describe, expect, it } from 'vitest';
import { PERMISSIONS, permissionsBeforeResultsBucket } from './permission-registry.ts';
import { buildTemplate } from './template-builder.ts';
import {
  LATEST_TEMPLATE_VERSION,
  RELEASE_BEFORE_RESULTS_BUCKET,
  TEMPLATE_VERSION,
  templateVersion,
} from './template-version.ts';

const without = (role: string, action: string) =>
  PERMISSIONS.filter((e) => !(e.role === role && e.action === action));

describe('template version', () => {
  it('is the release plus a digest of the permission set, stable for the same registry', () => {
    expect(LATEST_TEMPLATE_VERSION).toMatch(
      new RegExp(`^${TEMPLATE_VERSION.replace(/\./g, '\\.')}\\+p[0-9a-f]{10}$`),
    );
    expect(templateVersion()).toBe(LATEST_TEMPLATE_VERSION);
    expect(templateVersion([...PERMISSIONS])).toBe(LATEST_TEMPLATE_VERSION);
  });

  it('changes when a registry entry is added or removed, and the template carries it', () => {
    const older = without('UserInitiated', 'ec2:DescribeImages');
    const v = templateVersion(older);
    expect(v).not.toBe(LATEST_TEMPLATE_VERSION);
    expect(templateVersion(without('Worker', 's3:GetObject'))).not.toBe(v);
    const t = buildTemplate({ network: 'new', permissions: older });
    expect(t.Outputs.TemplateVersion?.Value).toBe(v);
    expect(t.Metadata.FerryTemplateVersion).toBe(v);
    const policy = JSON.stringify(t.Resources.UserInitiatedPolicy);
    expect(policy).not.toContain('ec2:DescribeImages');
    expect(
      JSON.stringify(buildTemplate({ network: 'new' }).Resources.UserInitiatedPolicy),
    ).toContain('ec2:DescribeImages');
  });

  it('builds release 1.0.0, before the results bucket, for stacks made then', () => {
    const current = buildTemplate({ network: 'new' });
    const bucket = current.Resources.ResultsBucket;
    expect(bucket?.Type).toBe('AWS::S3::Bucket');
    expect(bucket?.DeletionPolicy).toBe('Retain');
    expect(current.Parameters.ResultsRetentionDays?.Default).toBe(7);
    expect(JSON.stringify(current.Resources.WorkerPolicy)).toContain('${ResultsBucket}');

    const older = permissionsBeforeResultsBucket();
    const before = buildTemplate({ network: 'new', permissions: older, resultsBucket: false });
    expect(before.Resources.ResultsBucket).toBeUndefined();
    expect(before.Parameters.ResultsRetentionDays).toBeUndefined();
    expect(before.Outputs.TemplateVersion?.Value).toBe(
      templateVersion(older, RELEASE_BEFORE_RESULTS_BUCKET),
    );
    expect(before.Outputs.TemplateVersion?.Value).toMatch(/^1\.0\.0\+p/);
    // Without the bucket, a registry that still scopes to it cannot build.
    expect(() => buildTemplate({ network: 'new', resultsBucket: false })).toThrow(
      /permissionsBeforeResultsBucket/,
    );
  });
});
