import { randomBytes } from 'node:crypto';

/** A resource id in EC2's long format: `prefix-` + 17 lower-case hex digits. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** EC2 resource id prefixes and the resource types (as in TagDescription.ResourceType) they name. */
export const resourceTypeByPrefix: Record<string, string> = {
  vpc: 'vpc',
  subnet: 'subnet',
  igw: 'internet-gateway',
  rtb: 'route-table',
  sg: 'security-group',
  sgr: 'security-group-rule',
  lt: 'launch-template',
  i: 'instance',
  fleet: 'fleet',
  vol: 'volume',
  eni: 'network-interface',
  ami: 'image',
  dopt: 'dhcp-options',
};

/** The resource type an id names, from its prefix; undefined when unknown. */
export function resourceTypeOf(id: string): string | undefined {
  const dash = id.indexOf('-');
  if (dash <= 0) return undefined;
  return resourceTypeByPrefix[id.slice(0, dash)];
}
