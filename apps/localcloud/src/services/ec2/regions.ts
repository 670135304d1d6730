/** Regions, availability zones and account attributes: DescribeRegions, DescribeAvailabilityZones, DescribeAccountAttributes. */
import type { Call, Cloud } from '../../core/contract.ts';
import { authorizeAll } from './authorize.ts';
import { ec2Error, optStrings } from './errors.ts';
import { matchesFilters, readFilters } from './filters.ts';

/** The commercial regions enabled by default (opt-in regions are reported as opted in). */
export const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'ap-south-1',
  'ap-south-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-east-1',
  'me-south-1',
  'me-central-1',
  'af-south-1',
  'il-central-1',
];

const ZONE_LETTERS = ['a', 'b', 'c'];

const DIRECTIONS: Record<string, string> = {
  east: 'e',
  west: 'w',
  north: 'n',
  south: 's',
  central: 'c',
  northeast: 'ne',
  northwest: 'nw',
  southeast: 'se',
  southwest: 'sw',
};

/** The availability zones localcloud offers in a region: `<region>a|b|c`. */
export function zonesOf(region: string): string[] {
  return ZONE_LETTERS.map((l) => `${region}${l}`);
}

/** AWS-style zone id, e.g. `use1-az1` for us-east-1a. */
export function zoneIdOf(zone: string): string {
  const region = zone.slice(0, -1);
  const letter = zone.slice(-1);
  const [geo = '', dir = '', num = ''] = region.split('-');
  return `${geo}${DIRECTIONS[dir] ?? dir[0] ?? ''}${num}-az${ZONE_LETTERS.indexOf(letter) + 1}`;
}

/** Throws InvalidParameterValue unless `zone` is one of the region's zones. */
export function assertZoneInRegion(zone: string, region: string, member: string): void {
  if (!zonesOf(region).includes(zone)) {
    throw ec2Error(
      'InvalidParameterValue',
      `Value (${zone}) for parameter ${member} is invalid. Subnets can currently only be created in the following availability zones: ${zonesOf(region).join(', ')}.`,
    );
  }
}

function endpointOf(region: string): string {
  return `ec2.${region}.amazonaws.com`;
}

export function describeRegions(call: Call, cloud: Cloud): Promise<Record<string, unknown>> {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const names = optStrings(call.input, 'RegionNames');
  for (const n of names) {
    if (!REGIONS.includes(n)) {
      throw ec2Error('InvalidParameterValue', `Invalid region: ${n}`);
    }
  }
  const filters = readFilters(call.input);
  const regions = REGIONS.filter((r) => names.length === 0 || names.includes(r))
    .filter((r) =>
      matchesFilters(filters, (name) => {
        if (name === 'region-name') return [r];
        if (name === 'endpoint') return [endpointOf(r)];
        if (name === 'opt-in-status') return ['opt-in-not-required'];
        return undefined;
      }),
    )
    .map((r) => ({ RegionName: r, Endpoint: endpointOf(r), OptInStatus: 'opt-in-not-required' }));
  return Promise.resolve({ Regions: regions });
}

export function describeAvailabilityZones(
  call: Call,
  cloud: Cloud,
): Promise<Record<string, unknown>> {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const names = optStrings(call.input, 'ZoneNames');
  const ids = optStrings(call.input, 'ZoneIds');
  const zones = zonesOf(call.region);
  for (const n of names) {
    if (!zones.includes(n)) {
      throw ec2Error('InvalidParameterValue', `The zone '${n}' does not exist.`);
    }
  }
  for (const id of ids) {
    if (!zones.some((z) => zoneIdOf(z) === id)) {
      throw ec2Error('InvalidParameterValue', `The zone id '${id}' does not exist.`);
    }
  }
  const filters = readFilters(call.input);
  const out = zones
    .filter(
      (z) =>
        (names.length === 0 && ids.length === 0) || names.includes(z) || ids.includes(zoneIdOf(z)),
    )
    .filter((z) =>
      matchesFilters(filters, (name) => {
        switch (name) {
          case 'zone-name':
            return [z];
          case 'zone-id':
            return [zoneIdOf(z)];
          case 'region-name':
            return [call.region];
          case 'state':
            return ['available'];
          case 'zone-type':
            return ['availability-zone'];
          case 'opt-in-status':
            return ['opt-in-not-required'];
          case 'group-name':
          case 'network-border-group':
            return [call.region];
          default:
            return undefined;
        }
      }),
    )
    .map((z) => ({
      State: 'available',
      OptInStatus: 'opt-in-not-required',
      Messages: [],
      RegionName: call.region,
      ZoneName: z,
      ZoneId: zoneIdOf(z),
      GroupName: call.region,
      NetworkBorderGroup: call.region,
      ZoneType: 'availability-zone',
    }));
  return Promise.resolve({ AvailabilityZones: out });
}

/** DescribeAccountAttributes: the attributes EC2 reports, default-vpc from this account's state. */
export function describeAccountAttributes(
  call: Call,
  cloud: Cloud,
  defaultVpcId: string | undefined,
): Promise<Record<string, unknown>> {
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const all: Record<string, string[]> = {
    'supported-platforms': ['VPC'],
    'default-vpc': [defaultVpcId ?? 'none'],
    'max-instances': ['20'],
    'vpc-max-security-groups-per-interface': ['5'],
    'max-elastic-ips': ['5'],
    'vpc-max-elastic-ips': ['5'],
  };
  const wanted = optStrings(call.input, 'AttributeNames');
  for (const w of wanted) {
    if (!(w in all)) throw ec2Error('InvalidParameterValue', `Invalid attribute name: ${w}`);
  }
  const names = wanted.length > 0 ? wanted : Object.keys(all);
  return Promise.resolve({
    AccountAttributes: names.map((n) => ({
      AttributeName: n,
      AttributeValues: (all[n] ?? []).map((v) => ({ AttributeValue: v })),
    })),
  });
}
