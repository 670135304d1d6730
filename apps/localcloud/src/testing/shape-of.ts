/**
 * The shape of an SDK output for differential tests: keys and value types, not values.
 * `$metadata` is dropped; arrays are described by the union of their elements' shapes.
 */
export type ShapeDescription =
  | 'string'
  | 'number'
  | 'boolean'
  | 'Date'
  | 'null'
  | { array: ShapeDescription | 'empty' }
  | { [key: string]: ShapeDescription };

function merge(a: ShapeDescription, b: ShapeDescription): ShapeDescription {
  if (typeof a !== 'object' || typeof b !== 'object' || 'array' in a || 'array' in b) return a;
  return { ...b, ...a };
}

/**
 * Describes `value` as keys and types. Empty lists and empty structures count as absent:
 * AWS omits them in some answers and sends them empty in others, and an SDK user cannot
 * rely on either.
 */
export function shapeOf(value: unknown): ShapeDescription {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return 'Date';
  if (Array.isArray(value)) {
    if (value.length === 0) return { array: 'empty' };
    return { array: value.map(shapeOf).reduce(merge) };
  }
  if (typeof value === 'object') {
    const out: Record<string, ShapeDescription> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === '$metadata' || v === undefined) continue;
      const shape = shapeOf(v);
      const empty =
        typeof shape === 'object' &&
        (('array' in shape && shape.array === 'empty') || Object.keys(shape).length === 0);
      if (!empty) out[k] = shape;
    }
    return out;
  }
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return 'string';
}
