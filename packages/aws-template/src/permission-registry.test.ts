import { actionsMatching, isKnownAction } from '@ferry/iam';
import { describe, expect, it } from 'vitest';
import {
  actionsForRole,
  DENIED_SAMPLES,
  entriesForRole,
  findEntry,
  PERMISSION_FREE,
  PERMISSIONS,
  ROLES,
  TRUST,
} from './permission-registry.ts';
import {
  isEachValue,
  isListValue,
  LIST_REFS,
  patternRefs,
  SCALAR_REFS,
  type ScopeValue,
} from './scope-value.ts';

const knownNames = new Set<string>([...SCALAR_REFS, ...LIST_REFS]);

function patternsOf(v: ScopeValue | ScopeValue[]): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list.flatMap((x) =>
    typeof x === 'string' ? [x] : isEachValue(x) ? [x.pattern, x.whenEmpty] : [],
  );
}

describe('permission registry', () => {
  it('names only actions AWS documents, in AWS’s spelling', () => {
    const actions = [
      ...PERMISSIONS.map((e) => e.action),
      ...TRUST.flatMap((t) => t.actions),
      ...DENIED_SAMPLES.map((s) => s.action),
      ...PERMISSION_FREE.map((p) => p.action),
    ];
    for (const action of actions) {
      expect(isKnownAction(action), action).toBe(true);
      expect(actionsMatching(action), action).toEqual([action]);
    }
  });

  it('declares each action once per role, with a reason and at least one scope', () => {
    const seen = new Set<string>();
    for (const e of PERMISSIONS) {
      const key = `${e.role} ${e.action}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
      expect(e.why.length, key).toBeGreaterThan(20);
      expect(e.scopes.length, key).toBeGreaterThan(0);
      for (const s of e.scopes) expect(s.resources.length, key).toBeGreaterThan(0);
    }
  });

  it('uses only known stack values in resources and conditions', () => {
    for (const e of PERMISSIONS) {
      for (const s of e.scopes) {
        const values = [
          ...s.resources,
          ...Object.values(s.conditions ?? {}).flatMap((keys) => Object.values(keys).flat()),
        ];
        for (const v of values) {
          if (typeof v === 'object' && isListValue(v)) expect(knownNames.has(v.list)).toBe(true);
        }
        for (const p of patternsOf(values)) {
          for (const name of patternRefs(p)) {
            expect(name === 'item' || knownNames.has(name), `${e.action}: ${p}`).toBe(true);
          }
        }
      }
    }
  });

  it('gives every role entries and typed lookups', () => {
    for (const role of ROLES) expect(entriesForRole(role).length).toBeGreaterThan(0);
    expect(findEntry('UserInitiated', 'EC2:runinstances')?.action).toBe('ec2:RunInstances');
    expect(findEntry('Worker', 'ec2:RunInstances')).toBeUndefined();
    expect(actionsForRole('Worker')).toEqual([
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
  });

  it('never gives GetCallerIdentity a policy: AWS does not check it', () => {
    for (const p of PERMISSION_FREE) {
      expect(PERMISSIONS.some((e) => e.action === p.action)).toBe(false);
    }
  });

  it('scopes every mutating EC2 action to ferry’s tag or to creation', () => {
    const readOnly = /^ec2:Describe/;
    for (const e of PERMISSIONS.filter((x) => x.action.startsWith('ec2:'))) {
      if (readOnly.test(e.action)) continue;
      const tagScoped = e.scopes.some((s) =>
        Object.values(s.conditions ?? {}).some((keys) =>
          Object.keys(keys).some((k) =>
            /^aws:(Resource|Request)Tag\/ferry:managed$|^ec2:CreateAction$/.test(k),
          ),
        ),
      );
      expect(tagScoped, e.action).toBe(true);
    }
  });

  it('keeps the external ID on every platform AssumeRole trust statement', () => {
    for (const t of TRUST.filter((x) => x.principal === 'platform')) {
      if (!t.actions.includes('sts:AssumeRole')) continue;
      expect(t.conditions?.StringEquals?.['sts:ExternalId']).toBe('${ExternalId}');
    }
  });

  it('has a probe for every entry, saying why when there is none', () => {
    for (const e of PERMISSIONS) {
      if (e.probe.kind === 'none') expect(e.probe.reason.length).toBeGreaterThan(10);
    }
    const ec2 = PERMISSIONS.filter((e) => e.role !== 'Platform' && e.action.startsWith('ec2:'));
    expect(ec2.filter((e) => e.probe.kind === 'dry-run').length).toBeGreaterThan(15);
  });
});
