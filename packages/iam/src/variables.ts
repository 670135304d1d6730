/**
 * Policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, `${key, 'default'}`) and
 * the escapes `${*}`, `${?}` and `${$}`. IAM only substitutes them in policies whose Version is
 * 2012-10-17; in older policies the text is taken literally.
 */
import type { PatternPart } from './wildcard.ts';

/** Looks up a context key (case-insensitively); undefined when the request does not carry it. */
export type VariableResolver = (key: string) => string | undefined;

const ESCAPES: Record<string, string> = { '*': '*', '?': '?', $: '$' };
const WITH_DEFAULT = /^\s*([^,\s][^,]*?)\s*,\s*'([^']*)'\s*$/;

/** True if the text contains something that looks like a policy variable. */
export function hasVariables(text: string): boolean {
  return text.includes('${');
}

/**
 * Substitutes the variables of `text`. Substituted values and escapes become literal parts
 * (they never act as wildcards); the rest keeps its wildcard meaning. Returns undefined when a
 * variable has no value and no default: IAM then treats the value as not matching.
 */
export function substituteVariables(
  text: string,
  resolve: VariableResolver,
): PatternPart[] | undefined {
  const parts: PatternPart[] = [];
  let i = 0;
  let plain = '';
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) break;
    const end = text.indexOf('}', start + 2);
    if (end < 0) break;
    plain += text.slice(i, start);
    const inner = text.slice(start + 2, end);
    const escaped = ESCAPES[inner];
    let value: string | undefined;
    if (escaped !== undefined) {
      value = escaped;
    } else {
      const withDefault = WITH_DEFAULT.exec(inner);
      const key = (withDefault ? withDefault[1]! : inner).trim();
      value = resolve(key) ?? (withDefault ? withDefault[2]! : undefined);
      if (value === undefined) return undefined;
    }
    if (plain !== '') parts.push({ text: plain, literal: false });
    plain = '';
    parts.push({ text: value, literal: true });
    i = end + 1;
  }
  plain += text.slice(i);
  if (plain !== '' || parts.length === 0) parts.push({ text: plain, literal: false });
  return parts;
}

/** Joins pattern parts back into one string (for exact comparisons). */
export function partsText(parts: readonly PatternPart[]): string {
  return parts.map((p) => p.text).join('');
}

/** Problems with the variable syntax of a value, for validation. */
export function variableProblem(text: string): string | undefined {
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${', i);
    if (start < 0) return undefined;
    const end = text.indexOf('}', start + 2);
    if (end < 0) return `unterminated policy variable in "${text}"`;
    const inner = text.slice(start + 2, end);
    if (inner.trim() === '') return `empty policy variable in "${text}"`;
    i = end + 1;
  }
  return undefined;
}
