/**
 * IAM wildcard matching: `*` matches any run of characters (including none), `?` exactly
 * one character. Everything else is literal.
 */

export interface WildcardOptions {
  /** Actions compare case-insensitively; resources, ARNs and string values do not. */
  caseInsensitive?: boolean;
}

/** One piece of a pattern; `literal` pieces never act as wildcards (e.g. `${*}`, variable values). */
export interface PatternPart {
  text: string;
  literal: boolean;
}

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 20_000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function wildcardSource(text: string): string {
  let source = '';
  for (const ch of text) {
    if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '?') source += '[\\s\\S]';
    else source += escapeRegExp(ch);
  }
  return source;
}

/** Compiles pattern parts into an anchored regular expression. */
export function compilePattern(parts: readonly PatternPart[], caseInsensitive = false): RegExp {
  let key = caseInsensitive ? 'i' : 's';
  for (const p of parts) key += `${p.literal ? 'L' : 'W'}${p.text.length}:${p.text}`;
  let re = cache.get(key);
  if (!re) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    const source = parts.map((p) => (p.literal ? escapeRegExp(p.text) : wildcardSource(p.text)));
    // `u` so that `?` matches one code point, as IAM counts characters, not UTF-16 units.
    re = new RegExp(`^${source.join('')}$`, caseInsensitive ? 'iu' : 'u');
    cache.set(key, re);
  }
  return re;
}

/** True if `value` matches the IAM wildcard `pattern`. */
export function matchesWildcard(
  pattern: string,
  value: string,
  options: WildcardOptions = {},
): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return options.caseInsensitive
      ? pattern.toLowerCase() === value.toLowerCase()
      : pattern === value;
  }
  return compilePattern([{ text: pattern, literal: false }], options.caseInsensitive).test(value);
}

/** True if `value` matches the pattern made of `parts`. */
export function matchesPatternParts(
  parts: readonly PatternPart[],
  value: string,
  options: WildcardOptions = {},
): boolean {
  return compilePattern(parts, options.caseInsensitive).test(value);
}

/** True if the text contains an IAM wildcard character. */
export function hasWildcard(text: string): boolean {
  return text.includes('*') || text.includes('?');
}
