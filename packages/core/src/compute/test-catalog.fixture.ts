/**
 * Test fixture: the instance catalog localcloud serves (real DescribeInstanceTypes entries),
 * read from its data file so price and selection tests run against the same type names.
 */
import { readFileSync } from 'node:fs';
import { buildInstanceCatalog, type Ec2InstanceTypeInfo } from './instance-catalog.ts';

const file = new URL(
  '../../../../apps/localcloud/src/services/ec2/instance-types.json',
  import.meta.url,
);

/** Every instance type localcloud knows, as ferry's catalog. */
export const LOCALCLOUD_CATALOG = buildInstanceCatalog(
  JSON.parse(readFileSync(file, 'utf8')) as Ec2InstanceTypeInfo[],
);
