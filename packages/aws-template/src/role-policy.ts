/**
 * Turns the registry into policy statements: once abstractly (shared by the template and the
 * concrete rendering), then concretely for a given stack, as @ferry/iam documents.
 */
import type { PolicyDocument, Statement, PrincipalElement } from '@ferry/iam';
import {
  PERMISSIONS,
  trustForRole,
  type PermissionEntry,
  type ConditionSpec,
  type CustomerRole,
  type RoleName,
  type TrustPrincipal,
} from './permission-registry.ts';
import { resolveScopeValue, type ScopeValue, type ScopeValues } from './scope-value.ts';

/** A statement before rendering: actions sharing one resource scope and one condition set. */
export interface AbstractStatement {
  sid: string;
  actions: string[];
  resources: ScopeValue[];
  conditions?: ConditionSpec;
}

/** A trust statement before rendering. */
export interface AbstractTrustStatement {
  sid: string;
  principal: TrustPrincipal;
  actions: string[];
  conditions?: ConditionSpec;
}

const pascal = (s: string): string =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

function uniqueSid(base: string, used: Set<string>): string {
  let sid = base;
  for (let n = 2; used.has(sid); n++) sid = `${base}${n}`;
  used.add(sid);
  return sid;
}

/**
 * The role's statements: every (action, scope) of the registry, merged where resources and
 * conditions are identical so the policy stays well under IAM's size limit.
 */
export function roleStatements(
  role: RoleName,
  permissions: readonly PermissionEntry[] = PERMISSIONS,
): AbstractStatement[] {
  const byScope = new Map<string, AbstractStatement & { label: string }>();
  for (const entry of permissions.filter((e) => e.role === role)) {
    for (const scope of entry.scopes) {
      const key = JSON.stringify([scope.resources, scope.conditions ?? null]);
      const found = byScope.get(key);
      if (found) {
        if (!found.actions.includes(entry.action)) found.actions.push(entry.action);
        continue;
      }
      byScope.set(key, {
        sid: '',
        label: scope.resourceType === '*' ? 'AnyResource' : pascal(scope.resourceType),
        actions: [entry.action],
        resources: scope.resources,
        ...(scope.conditions ? { conditions: scope.conditions } : {}),
      });
    }
  }
  const used = new Set<string>();
  return [...byScope.values()].map(({ label, ...s }) => ({
    ...s,
    sid: uniqueSid(label, used),
    actions: [...s.actions].sort(),
  }));
}

/** The trust statements of a customer role. */
export function trustStatements(role: CustomerRole): AbstractTrustStatement[] {
  const used = new Set<string>();
  return trustForRole(role).map((t) => ({
    sid: uniqueSid(
      pascal(
        `${t.principal === 'ec2' ? 'Ec2' : 'Platform'} ${t.actions.join(' ').replace(/sts:/g, '')}`,
      ),
      used,
    ),
    principal: t.principal,
    actions: t.actions,
    ...(t.conditions ? { conditions: t.conditions } : {}),
  }));
}

/** Resolves a registry condition block to concrete values. */
export function resolveConditions(
  conditions: ConditionSpec,
  values: ScopeValues,
): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [op, keys] of Object.entries(conditions)) {
    const block: Record<string, string[]> = {};
    for (const [key, v] of Object.entries(keys)) {
      const list = Array.isArray(v) ? v : [v];
      block[key] = list.flatMap((x) => resolveScopeValue(x, values));
    }
    out[op] = block;
  }
  return out;
}

/** The role's identity policy for a concrete stack. */
export function renderRolePolicy(role: RoleName, values: ScopeValues): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: roleStatements(role).map((s): Statement => ({
      Sid: s.sid,
      Effect: 'Allow',
      Action: s.actions,
      Resource: s.resources.flatMap((r) => resolveScopeValue(r, values)),
      ...(s.conditions ? { Condition: resolveConditions(s.conditions, values) } : {}),
    })),
  };
}

/** The principal a trust statement names, for a concrete stack. */
export function trustPrincipal(principal: TrustPrincipal, values: ScopeValues): PrincipalElement {
  return principal === 'ec2'
    ? { Service: ['ec2.amazonaws.com'] }
    : { AWS: resolveScopeValue('${PlatformPrincipalArn}', values) };
}

/** The role's trust policy for a concrete stack. */
export function renderTrustPolicy(role: CustomerRole, values: ScopeValues): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: trustStatements(role).map((t): Statement => ({
      Sid: t.sid,
      Effect: 'Allow',
      Principal: trustPrincipal(t.principal, values),
      Action: t.actions,
      ...(t.conditions ? { Condition: resolveConditions(t.conditions, values) } : {}),
    })),
  };
}
