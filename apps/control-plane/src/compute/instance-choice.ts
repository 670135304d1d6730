/**
 * Instance selection against the workspace's real region: the catalog (paged
 * DescribeInstanceTypes), which types each zone offers (DescribeInstanceTypeOfferings by
 * availability zone) and the zones of the workspace's subnets (DescribeSubnets), cached per
 * account and region with a TTL and fetched once however many callers ask at the same
 * time; prices from the shipped table with the operator's optional override file.
 */
import { readFile } from 'node:fs/promises';
import type {
  DescribeInstanceTypeOfferingsCommandOutput,
  DescribeInstanceTypesCommandOutput,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  buildInstanceCatalog,
  buildZoneOfferings,
  DEFAULT_PRICE_TABLE,
  mergePriceTables,
  selectInstance,
  ValidationError,
  type ComputeContext,
  type InstanceTypeFacts,
  type PriceTable,
  type Selection,
  type SubnetPlacement,
  type ZoneOfferings,
} from '@ferry/core';
import type { BrokerActor } from '../aws/credential-broker.ts';
import { loadEc2Sdk } from '../aws/ec2-sdk.ts';
import type { Resources } from '../resources.ts';
import { abortable, allPages, retryEc2, type CallCounter } from './ec2-retry.ts';
import { ec2As, type WorkspaceAws } from './workspace-aws.ts';

/** How long a region's catalog and a workspace's subnet zones are reused. */
export const CATALOG_TTL_MS = 60 * 60_000;

/** What selection and launch planning need about a workspace's region. */
export interface Placement {
  readonly region: string;
  readonly catalog: readonly InstanceTypeFacts[];
  readonly offerings: ZoneOfferings;
  /** The workspace's subnets in the order its stack lists them, with their zones. */
  readonly subnets: readonly SubnetPlacement[];
  readonly prices: PriceTable;
}

interface RegionFacts {
  readonly catalog: readonly InstanceTypeFacts[];
  readonly offerings: ZoneOfferings;
}

interface Entry<T> {
  readonly at: number;
  readonly value: Promise<T>;
}

/** What instance choice remembers (`resources.caches.instanceChoice`). */
export interface InstanceChoiceCaches {
  readonly regions: Map<string, Entry<RegionFacts>>;
  readonly subnets: Map<string, Entry<SubnetPlacement[]>>;
  prices?: Promise<PriceTable>;
}

/** Empty caches, made with the resources object. */
export function createInstanceChoiceCaches(): InstanceChoiceCaches {
  return { regions: new Map(), subnets: new Map() };
}

/** Forgets the cached catalogs, subnet zones and prices (tests; a changed price file). */
export function clearInstanceChoiceCache(resources: Pick<Resources, 'caches'>): void {
  const c = resources.caches.instanceChoice;
  c.regions.clear();
  c.subnets.clear();
  delete c.prices;
}

/** The cached value of `key`, or a fetch shared by every concurrent caller; failures are not kept. */
function cached<T>(
  map: Map<string, Entry<T>>,
  key: string,
  now: number,
  fetch: () => Promise<T>,
): Promise<T> {
  const hit = map.get(key);
  if (hit && now - hit.at < CATALOG_TTL_MS) return hit.value;
  const value = fetch();
  map.set(key, { at: now, value });
  value.catch(() => {
    if (map.get(key)?.value === value) map.delete(key);
  });
  return value;
}

/** The shipped price table with `config.compute.pricesFile` laid over it (read once). */
export function loadPrices(resources: Resources): Promise<PriceTable> {
  const c = resources.caches.instanceChoice;
  const file = resources.config.compute.pricesFile;
  if (!c.prices) {
    c.prices = (async () => {
      if (file === undefined) return DEFAULT_PRICE_TABLE;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new Error(`compute.pricesFile ${file}: ${(err as Error).message}`, { cause: err });
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new Error(`compute.pricesFile ${file}: not JSON`, { cause: err });
      }
      return mergePriceTables(DEFAULT_PRICE_TABLE, parsed);
    })();
    c.prices.catch(() => {
      c.prices = undefined;
    });
  }
  return c.prices;
}

async function fetchRegionFacts(ec2: EC2Client, counter?: CallCounter): Promise<RegionFacts> {
  const { DescribeInstanceTypesCommand, DescribeInstanceTypeOfferingsCommand } = await loadEc2Sdk();
  const types = await allPages(
    (NextToken) =>
      retryEc2<DescribeInstanceTypesCommandOutput>(
        (signal) =>
          ec2.send(
            new DescribeInstanceTypesCommand({
              MaxResults: 100,
              ...(NextToken ? { NextToken } : {}),
            }),
            abortable(signal),
          ),
        counter ? { counter } : {},
      ),
    (p) => p.InstanceTypes,
  );
  const offerings = await allPages(
    (NextToken) =>
      retryEc2<DescribeInstanceTypeOfferingsCommandOutput>(
        (signal) =>
          ec2.send(
            new DescribeInstanceTypeOfferingsCommand({
              LocationType: 'availability-zone',
              MaxResults: 1000,
              ...(NextToken ? { NextToken } : {}),
            }),
            abortable(signal),
          ),
        counter ? { counter } : {},
      ),
    (p) => p.InstanceTypeOfferings,
  );
  return { catalog: buildInstanceCatalog(types), offerings: buildZoneOfferings(offerings) };
}

async function fetchSubnets(
  ec2: EC2Client,
  subnetIds: readonly string[],
  counter?: CallCounter,
): Promise<SubnetPlacement[]> {
  if (subnetIds.length === 0) return [];
  const { DescribeSubnetsCommand } = await loadEc2Sdk();
  const out = await retryEc2(
    (signal) =>
      ec2.send(new DescribeSubnetsCommand({ SubnetIds: [...subnetIds] }), abortable(signal)),
    counter ? { counter } : {},
  );
  const zoneOf = new Map(
    (out.Subnets ?? []).map((s) => [s.SubnetId ?? '', s.AvailabilityZone ?? '']),
  );
  // The stack's order is the launch priority order.
  return subnetIds.flatMap((subnetId) => {
    const availabilityZone = zoneOf.get(subnetId);
    return availabilityZone ? [{ subnetId, availabilityZone }] : [];
  });
}

/**
 * The region's catalog, offerings and prices and the workspace's subnet zones, read with
 * the UserInitiated role for `actor` (cached: most calls send nothing).
 */
export async function loadPlacement(
  resources: Resources,
  ws: WorkspaceAws,
  actor: BrokerActor,
  counter?: CallCounter,
): Promise<Placement> {
  const c = resources.caches.instanceChoice;
  const now = resources.clock.now().getTime();
  let client: EC2Client | undefined;
  let clientPromise: Promise<EC2Client> | undefined;
  const ec2 = async () => {
    clientPromise ??= ec2As(resources, ws, 'UserInitiated', actor).then((e) => (client = e));
    return clientPromise;
  };
  try {
    const [facts, subnets, prices] = await Promise.all([
      cached(c.regions, `${ws.accountId}:${ws.region}`, now, async () =>
        fetchRegionFacts(await ec2(), counter),
      ),
      cached(c.subnets, `${ws.accountId}:${ws.region}:${ws.subnetIds.join(',')}`, now, async () =>
        fetchSubnets(await ec2(), ws.subnetIds, counter),
      ),
      loadPrices(resources),
    ]);
    return { region: ws.region, ...facts, subnets, prices };
  } finally {
    client?.destroy();
  }
}

/**
 * Chooses the cheapest instance type fitting `context` in the workspace's zones, with the
 * explanation users see. Throws ValidationError naming the field (e.g. `memory`) when none fits.
 */
export async function chooseInstanceType(
  resources: Resources,
  ws: WorkspaceAws,
  context: ComputeContext,
  actor: BrokerActor,
): Promise<Selection> {
  const placement = await loadPlacement(resources, ws, actor);
  if (placement.subnets.length === 0) {
    throw new ValidationError('subnets: the workspace has no subnet EC2 knows', {
      details: [{ path: 'subnets', message: 'the workspace has no subnet EC2 knows' }],
    });
  }
  return selectInstance({
    context,
    region: placement.region,
    catalog: placement.catalog,
    subnets: placement.subnets,
    offerings: placement.offerings,
    prices: placement.prices,
  });
}
