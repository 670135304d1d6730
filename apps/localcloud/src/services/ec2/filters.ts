import { ec2Error } from './errors.ts';

export interface Filter {
  Name?: string;
  Values?: string[];
}

/** Values of one filter name for one resource; undefined = the filter name is unknown. */
export type FilterValues = (name: string) => string[] | undefined;

function wildcard(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/** Reads the Filters member (`Filter.N` on the wire) of a Describe request. */
export function readFilters(input: Record<string, unknown>, member = 'Filters'): Filter[] {
  const raw = input[member];
  return Array.isArray(raw) ? (raw as Filter[]) : [];
}

/**
 * Filter names that read tags: `tag:KEY`, `tag-key`, `tag-value`. Returns undefined for any
 * other name so callers can fall through to their own names.
 */
export function tagFilterValues(name: string, tags: Record<string, string>): string[] | undefined {
  if (name.startsWith('tag:')) {
    const v = tags[name.slice(4)];
    return v === undefined ? [] : [v];
  }
  if (name === 'tag-key') return Object.keys(tags);
  if (name === 'tag-value') return Object.values(tags);
  return undefined;
}

/**
 * True when the resource matches every filter (AND across filters, OR across a filter's
 * values; `*` and `?` are wildcards as in EC2). An unknown filter name is rejected as EC2 does.
 */
export function matchesFilters(filters: Filter[], values: FilterValues): boolean {
  for (const f of filters) {
    const name = f.Name;
    if (!name) throw ec2Error('InvalidParameterValue', 'The filter name must not be empty');
    const actual = values(name);
    if (actual === undefined) {
      throw ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`);
    }
    const wanted = f.Values ?? [];
    if (wanted.length === 0) continue;
    const res = wanted.map(wildcard);
    if (!actual.some((a) => res.some((r) => r.test(a)))) return false;
  }
  return true;
}
