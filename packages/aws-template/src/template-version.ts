/**
 * Version of the customer template: a release number (bump it when the template's shape
 * changes) plus a digest of the permission set it grants (every customer role's rendered
 * statements and trust), so adding or changing a registry entry yields a new version without
 * anyone remembering to bump. The platform compares a stack's version with the latest to
 * offer updates.
 */
import { createHash } from 'node:crypto';
import { CUSTOMER_ROLES, PERMISSIONS, type PermissionEntry } from './permission-registry.ts';
import { roleStatements, trustStatements } from './role-policy.ts';

export const TEMPLATE_VERSION = '1.1.0';

/** The release before the results bucket (1.1.0 added it). */
export const RELEASE_BEFORE_RESULTS_BUCKET = '1.0.0';

/** `1.1.0+p<10 hex digits>`: the release and the digest of the permission set. */
export function templateVersion(
  permissions: readonly PermissionEntry[] = PERMISSIONS,
  release: string = TEMPLATE_VERSION,
): string {
  const set = CUSTOMER_ROLES.map((role) => [
    role,
    roleStatements(role, permissions),
    trustStatements(role),
  ]);
  const digest = createHash('sha256').update(JSON.stringify(set)).digest('hex').slice(0, 10);
  return `${release}+p${digest}`;
}

/** The version the current registry builds. */
export const LATEST_TEMPLATE_VERSION = templateVersion();
