/** Amazon Resource Names: parsing and segment-wise matching. */
import { compilePattern, matchesWildcard, type PatternPart } from './wildcard.ts';

/** The six parts of `arn:partition:service:region:account-id:resource`. */
export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  /** Everything after the fifth colon, e.g. `role/path/name` or `bucket/key:with:colons`. */
  resource: string;
}

/** Parses an ARN; returns undefined if the text is not `arn:` followed by at least five colons. */
export function parseArn(arn: string): ParsedArn | undefined {
  if (!arn.startsWith('arn:')) return undefined;
  const parts = arn.split(':');
  if (parts.length < 6) return undefined;
  const [, partition, service, region, accountId] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (partition === '' || service === '') return undefined;
  return { partition, service, region, accountId, resource: parts.slice(5).join(':') };
}

/** Why a Resource value is not acceptable; undefined when it is `*` or a well-formed ARN. */
export function arnProblem(arn: string): string | undefined {
  if (arn === '*') return undefined;
  if (!arn.startsWith('arn:')) {
    return `"${arn}" is neither "*" nor an ARN (arn:partition:service:region:account:resource)`;
  }
  const parsed = parseArn(arn);
  if (!parsed) {
    return `"${arn}" is not a valid ARN: it needs six colon-separated parts (arn:partition:service:region:account:resource) with a partition and a service`;
  }
  if (parsed.resource === '') return `"${arn}" is not a valid ARN: the resource part is empty`;
  return undefined;
}

/** Splits pattern parts at the first five colons. */
function splitPartsAtColons(parts: readonly PatternPart[]): PatternPart[][] {
  const segments: PatternPart[][] = [[]];
  for (const part of parts) {
    let rest = part.text;
    while (segments.length < 6) {
      const i = rest.indexOf(':');
      if (i < 0) break;
      segments[segments.length - 1]!.push({ text: rest.slice(0, i), literal: part.literal });
      segments.push([]);
      rest = rest.slice(i + 1);
    }
    segments[segments.length - 1]!.push({ text: rest, literal: part.literal });
  }
  return segments;
}

/**
 * ARN matching as IAM applies it to Resource elements and the Arn* operators: each of the six
 * colon-separated parts is matched on its own, case-sensitively, so a wildcard never spans a
 * colon of the first five parts.
 */
export function arnMatchesParts(pattern: readonly PatternPart[], arn: string): boolean {
  if (pattern.length === 1 && !pattern[0]!.literal && pattern[0]!.text === '*') return true;
  const value = arn.split(':');
  if (value.length < 6) {
    // Not an ARN (e.g. "*" for actions without a resource): only a whole-string match counts.
    return compilePattern(pattern).test(arn);
  }
  const segments = splitPartsAtColons(pattern);
  if (segments.length < 6) return false;
  for (let i = 0; i < 5; i++) {
    if (!compilePattern(segments[i]!).test(value[i]!)) return false;
  }
  return compilePattern(segments[5]!).test(value.slice(5).join(':'));
}

/** ARN matching for a plain pattern string (see {@link arnMatchesParts}). */
export function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes(':')) return matchesWildcard(pattern, arn);
  return arnMatchesParts([{ text: pattern, literal: false }], arn);
}
