/** Reading decoded input values without trusting their types. */

/** A string, number or boolean as text; anything else as `fallback`. */
export function text(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return fallback;
}

/** An array's items, or none. */
export function items(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/** An array's items as text. */
export function texts(value: unknown): string[] {
  return items(value).map((v) => text(v));
}
