/**
 * On-demand prices ($/hour per instance type and region). ferry ships a table
 * (packages/core/data/on-demand-prices.json); an operator may override or extend it. A
 * type missing from a region's list (or a region missing
 * altogether) is priced as the base region (us-east-1) times the
 * table's `fallbackMultiplier`, which errs on the expensive side.
 */
import { z } from 'zod';
import shipped from '../../data/on-demand-prices.json' with { type: 'json' };
import { ValidationError } from '../errors.ts';

/** Prices per region and instance type. */
export interface PriceTable {
  readonly baseRegion: string;
  readonly fallbackMultiplier: number;
  readonly regions: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** A price and where it came from. */
export interface Price {
  readonly usdPerHour: number;
  /** `table`: listed for the region; `fallback`: base region × multiplier. */
  readonly source: 'table' | 'fallback';
}

const price = z.number().positive().max(10_000);
const overrideSchema = z.strictObject({
  baseRegion: z.string().min(1).optional(),
  fallbackMultiplier: z.number().min(1).max(10).optional(),
  regions: z
    .record(
      z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'not a region name'),
      z.record(z.string().min(1), price),
    )
    .optional(),
});

/** An operator's override: any subset of a price table. */
export type PriceTableOverride = z.input<typeof overrideSchema>;

/** The table ferry ships. */
export const DEFAULT_PRICE_TABLE: PriceTable = {
  baseRegion: shipped.baseRegion,
  fallbackMultiplier: shipped.fallbackMultiplier,
  regions: shipped.regions,
};

/**
 * `base` with `override` laid over it: a region's listed types are replaced one by one,
 * others kept. Throws ValidationError naming the bad field (`prices.regions.eu-west-1.m7i.large`).
 */
export function mergePriceTables(base: PriceTable, override: unknown): PriceTable {
  const parsed = overrideSchema.safeParse(override);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({
      path: ['prices', ...i.path.map(String)].join('.'),
      message: i.message,
    }));
    throw new ValidationError(details.map((d) => `${d.path}: ${d.message}`).join('; '), {
      details,
    });
  }
  const o = parsed.data;
  const regions: Record<string, Record<string, number>> = {};
  for (const [r, types] of Object.entries(base.regions)) regions[r] = { ...types };
  for (const [r, types] of Object.entries(o.regions ?? {}))
    regions[r] = { ...regions[r], ...types };
  return {
    baseRegion: o.baseRegion ?? base.baseRegion,
    fallbackMultiplier: o.fallbackMultiplier ?? base.fallbackMultiplier,
    regions,
  };
}

/** The on-demand price of `instanceType` in `region`, or undefined when nothing is known. */
export function priceOf(
  table: PriceTable,
  region: string,
  instanceType: string,
): Price | undefined {
  const listed = table.regions[region]?.[instanceType];
  if (listed !== undefined) return { usdPerHour: listed, source: 'table' };
  const base = table.regions[table.baseRegion]?.[instanceType];
  if (base === undefined) return undefined;
  return { usdPerHour: round(base * table.fallbackMultiplier), source: 'fallback' };
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
