/**
 * Least privilege in both directions: the (role, action) pairs ferry was allowed during the
 * end-to-end suite (its AWS journal, see `fixtures/aws-journal.ts`) must equal the permission
 * registry, apart from a short list of deliberate extras, each with its reason.
 *
 * A new AWS action: add its registry entry (`packages/aws-template`), call it from the code,
 * and have an end-to-end test take the path that calls it — the journal then holds it. Only
 * when no end-to-end path can reach it, list it below with the reason.
 */
import { CONNECTION_PERMISSIONS, PERMISSIONS } from '@ferry/aws-template';
import type { JournalEntry, JournalRole } from './fixtures/aws-journal.ts';

/** Both registries: the customer template's and the data connections'. */
export const REGISTRY: readonly { role: JournalRole; action: string }[] = [
  ...PERMISSIONS,
  ...CONNECTION_PERMISSIONS,
];

/** A registry entry the end-to-end suite does not exercise, on purpose. */
export interface DeliberateExtra {
  role: JournalRole;
  action: string;
  reason: string;
}

export const DELIBERATE_EXTRAS: readonly DeliberateExtra[] = [
  {
    role: 'Connection',
    action: 's3:AbortMultipartUpload',
    reason:
      'only a failed multipart upload into a connection’s write prefix calls it; the connection test writes a small probe object in one request',
  },
];

/** The outcome of the comparison; `ok` when every list is empty. */
export interface LeastPrivilegeReport {
  ok: boolean;
  /** Allowed during the suite but not in the registry (cannot happen while the template is the registry's). */
  undeclared: JournalEntry[];
  /** In the registry, neither used nor a deliberate extra: a grant no path uses. */
  unused: { role: JournalRole; action: string }[];
  /** Deliberate extras the suite did use after all (drop them from the list). */
  extrasUsed: DeliberateExtra[];
  /** Deliberate extras that are no registry entry (stale list). */
  extrasUnknown: DeliberateExtra[];
  /** How many distinct (role, action) pairs the suite used. */
  used: number;
}

const key = (role: string, action: string): string => `${role} ${action}`;

/** Compares the journal of a run with the registry and the deliberate extras. */
export function compareWithRegistry(
  journal: readonly JournalEntry[],
  registry: readonly { role: JournalRole; action: string }[] = REGISTRY,
  extras: readonly DeliberateExtra[] = DELIBERATE_EXTRAS,
): LeastPrivilegeReport {
  const declared = new Set(registry.map((e) => key(e.role, e.action)));
  const used = new Set(journal.map((e) => key(e.role, e.action)));
  const extra = new Set(extras.map((e) => key(e.role, e.action)));
  const undeclared = journal.filter((e) => !declared.has(key(e.role, e.action)));
  const unused = registry
    .filter((e) => !used.has(key(e.role, e.action)) && !extra.has(key(e.role, e.action)))
    .map(({ role, action }) => ({ role, action }));
  const extrasUsed = extras.filter((e) => used.has(key(e.role, e.action)));
  const extrasUnknown = extras.filter((e) => !declared.has(key(e.role, e.action)));
  return {
    ok: !undeclared.length && !unused.length && !extrasUsed.length && !extrasUnknown.length,
    undeclared,
    unused,
    extrasUsed,
    extrasUnknown,
    used: used.size,
  };
}

/** The report as lines a person can act on. */
export function describeReport(report: LeastPrivilegeReport): string[] {
  const lines = [
    `least privilege: ${report.used} (role, action) pairs used by the end-to-end suite`,
  ];
  for (const e of report.undeclared)
    lines.push(`  allowed but not in the registry: ${e.role} ${e.action} (during ${e.operation})`);
  for (const e of report.unused)
    lines.push(
      `  granted but used by no end-to-end path: ${e.role} ${e.action} (remove it, or list it as a deliberate extra with its reason)`,
    );
  for (const e of report.extrasUsed)
    lines.push(`  listed as a deliberate extra but used: ${e.role} ${e.action}`);
  for (const e of report.extrasUnknown)
    lines.push(`  deliberate extra that is no registry entry: ${e.role} ${e.action}`);
  return lines;
}
