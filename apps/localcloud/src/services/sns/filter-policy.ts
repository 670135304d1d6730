/**
 * Subscription filter policies (attribute scope): a message passes when every key of the
 * policy matches one of its conditions — exact strings and numbers, `prefix`, `suffix`,
 * `anything-but`, `exists` and `numeric` ranges.
 */

type Condition = unknown;

function numericMatch(spec: unknown[], value: number): boolean {
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const op = spec[i];
    const bound = Number(spec[i + 1]);
    const ok =
      op === '='
        ? value === bound
        : op === '<'
          ? value < bound
          : op === '<='
            ? value <= bound
            : op === '>'
              ? value > bound
              : op === '>='
                ? value >= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

function matches(condition: Condition, value: string | undefined): boolean {
  if (condition !== null && typeof condition === 'object' && !Array.isArray(condition)) {
    const c = condition as Record<string, unknown>;
    if ('exists' in c) return (value !== undefined) === Boolean(c.exists);
    if (value === undefined) return false;
    if (typeof c.prefix === 'string') return value.startsWith(c.prefix);
    if (typeof c.suffix === 'string') return value.endsWith(c.suffix);
    if ('anything-but' in c) {
      const but = c['anything-but'];
      const list = Array.isArray(but) ? (but as unknown[]) : [but];
      return !list.some((b) => matches(b, value));
    }
    if (Array.isArray(c.numeric)) return numericMatch(c.numeric as unknown[], Number(value));
    return false;
  }
  if (value === undefined) return false;
  if (typeof condition === 'number') return Number(value) === condition;
  if (typeof condition === 'string') return value === condition;
  return false;
}

/** True when the message attributes (name → string value) pass the policy. */
export function passesFilterPolicy(
  policyText: string | undefined,
  attributes: Record<string, string[]>,
): boolean {
  if (policyText === undefined || policyText === '') return true;
  const policy = JSON.parse(policyText) as Record<string, unknown>;
  return Object.entries(policy).every(([key, conditions]) => {
    const list = Array.isArray(conditions) ? (conditions as unknown[]) : [conditions];
    const values = attributes[key];
    if (values === undefined) return list.some((c) => matches(c, undefined));
    return values.some((v) => list.some((c) => matches(c, v)));
  });
}

/** Throws a message naming the problem when the policy is not a JSON object of lists. */
export function filterPolicyProblem(policyText: string): string | undefined {
  let policy: unknown;
  try {
    policy = JSON.parse(policyText);
  } catch {
    return 'FilterPolicy: failed to parse JSON';
  }
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) {
    return 'FilterPolicy: the policy must be a JSON object';
  }
  for (const [key, value] of Object.entries(policy as Record<string, unknown>)) {
    if (!Array.isArray(value)) return `FilterPolicy: "${key}" must be an object or an array`;
  }
  return undefined;
}
