import { newId } from '@ferry/core';
import { describe, expect, it } from 'vitest';
import { pageQuerySchema } from './common.ts';
import { createOrgBodySchema } from './org-schemas.ts';
import { computeSpecSchema, labelsSchema, updateWorkspaceBodySchema } from './workspace-schemas.ts';
import { orgParamsSchema } from './org-schemas.ts';

describe('request schemas', () => {
  it('reject unknown fields and name them', () => {
    const r = createOrgBodySchema.safeParse({ name: 'acme', extra: 1 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('extra');
  });

  it('reject malformed and foreign-kind ids', () => {
    expect(orgParamsSchema.safeParse({ orgId: newId('org') }).success).toBe(true);
    expect(orgParamsSchema.safeParse({ orgId: newId('workspace') }).success).toBe(false);
    expect(orgParamsSchema.safeParse({ orgId: 'org_../../etc' }).success).toBe(false);
  });

  it('validate compute specs: instance type or resources, not both', () => {
    expect(computeSpecSchema.safeParse({ cpus: 4, memoryGb: 16 }).success).toBe(true);
    expect(computeSpecSchema.safeParse({ instanceType: 'm7i.large' }).success).toBe(true);
    expect(computeSpecSchema.safeParse({ instanceType: 'm7i.large', cpus: 2 }).success).toBe(false);
    expect(computeSpecSchema.safeParse({}).success).toBe(false);
    expect(computeSpecSchema.safeParse({ cpus: 0 }).success).toBe(false);
  });

  it('enforce AWS tag limits on labels and a 10-minute idle floor', () => {
    expect(labelsSchema.safeParse({ team: 'data', 'cost-center': '42' }).success).toBe(true);
    expect(labelsSchema.safeParse({ 'aws:name': 'x' }).success).toBe(false);
    expect(labelsSchema.safeParse({ ['k'.repeat(129)]: 'x' }).success).toBe(false);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(labelsSchema.safeParse(many).success).toBe(false);
    expect(updateWorkspaceBodySchema.safeParse({ defaultIdleTimeoutMinutes: 9 }).success).toBe(
      false,
    );
    expect(updateWorkspaceBodySchema.safeParse({}).success).toBe(false);
  });

  it('bound page sizes to 100', () => {
    expect(pageQuerySchema.parse({ limit: '100' }).limit).toBe(100);
    expect(pageQuerySchema.safeParse({ limit: '101' }).success).toBe(false);
    expect(pageQuerySchema.safeParse({ limit: 'ten' }).success).toBe(false);
  });
});
