/**
 * Differences between two outcomes of a differential step, by JSON path: a difference in one
 * member never hides another, so known differences are allowed one (step, path) at a time.
 */
import type { ShapeDescription } from './shape-of.ts';

/** What one step answered: the shape of its output, or its error code. */
export type Outcome = { ok: ShapeDescription } | { error: string };

/** One difference: where, and what each side had there. */
export interface PathDifference {
  /** `$` (success against error), `$.error` (another code) or a member, e.g. `$.Stacks[].DriftInformation`. */
  path: string;
  ours: string;
  theirs: string;
}

const describe = (s: ShapeDescription | undefined): string =>
  s === undefined ? 'absent' : typeof s === 'string' ? s : 'array' in s ? 'array' : 'structure';

function shapeDifferences(
  a: ShapeDescription | undefined,
  b: ShapeDescription | undefined,
  path: string,
  out: PathDifference[],
): void {
  if (a === undefined || b === undefined || typeof a === 'string' || typeof b === 'string') {
    if (JSON.stringify(a) !== JSON.stringify(b))
      out.push({ path, ours: describe(a), theirs: describe(b) });
    return;
  }
  if ('array' in a || 'array' in b) {
    if (!('array' in a) || !('array' in b)) {
      out.push({ path, ours: describe(a), theirs: describe(b) });
    } else if (a.array === 'empty' || b.array === 'empty') {
      if (a.array !== b.array) out.push({ path: `${path}[]`, ours: 'empty', theirs: 'empty' });
    } else {
      shapeDifferences(a.array, b.array, `${path}[]`, out);
    }
    return;
  }
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    shapeDifferences(a[key], b[key], `${path}.${key}`, out);
  }
}

/** Every path where the outcomes differ (empty when they agree). */
export function outcomeDifferences(ours: Outcome, theirs: Outcome): PathDifference[] {
  if ('error' in ours || 'error' in theirs) {
    if ('error' in ours && 'error' in theirs) {
      return ours.error === theirs.error
        ? []
        : [{ path: '$.error', ours: ours.error, theirs: theirs.error }];
    }
    const side = (o: Outcome): string => ('error' in o ? `error ${o.error}` : 'success');
    return [{ path: '$', ours: side(ours), theirs: side(theirs) }];
  }
  const out: PathDifference[] = [];
  shapeDifferences(ours.ok, theirs.ok, '$', out);
  return out;
}

/**
 * Compares two runs step by step. Answers every difference as `"<step> <path>"` with what
 * each side had, and a line per allowed difference with its reason, for the test's output.
 */
export function compareRuns(
  ours: Record<string, Outcome>,
  theirs: Record<string, Outcome>,
  allowed: Readonly<Record<string, string>>,
): { differences: Record<string, string>; report: string[] } {
  const differences: Record<string, string> = {};
  for (const step of Object.keys(ours)) {
    const a = ours[step];
    const b = theirs[step];
    if (a === undefined || b === undefined) {
      differences[`${step} $`] = 'step missing on one side';
      continue;
    }
    for (const d of outcomeDifferences(a, b))
      differences[`${step} ${d.path}`] = `localcloud: ${d.ours}, moto: ${d.theirs}`;
  }
  const keys = Object.keys(differences);
  const report = [
    `${Object.keys(ours).length} steps, ${keys.length} differing paths, ${keys.filter((k) => k in allowed).length} of them allowed:`,
    ...Object.entries(allowed).map(
      ([key, reason]) => `  ${key}: ${key in differences ? 1 : 0}× (${reason})`,
    ),
  ];
  return { differences, report };
}
