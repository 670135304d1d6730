/**
 * A small catalog of public Amazon-owned images (Amazon Linux 2023, x86_64 and arm64, a few
 * releases) for DescribeImages. Ids are deterministic per region, as a real AMI has a
 * different id in each region. Launches do not consult this catalog (any well-formed id
 * launches): the image only names what the workload would run on.
 */
import { createHash } from 'node:crypto';
import type { Call, Cloud } from '../../core/contract.ts';
import { authorizeAll } from './authorize.ts';
import { ec2Error, optStrings } from './errors.ts';
import { matchesFilters, readFilters, tagFilterValues } from './filters.ts';
import { paginate } from './pagination.ts';

/** The account that owns Amazon Linux images in the commercial regions. */
export const AMAZON_OWNER_ID = '137112412989';

/** Releases: version, kernel line, release date (the CreationDate). */
const RELEASES: { version: string; kernel: string; created: string }[] = [
  { version: '2023.5.20240916.0', kernel: '6.1', created: '2024-09-13T19:42:31.000Z' },
  { version: '2023.6.20241010.0', kernel: '6.1', created: '2024-10-08T22:15:04.000Z' },
  { version: '2023.6.20241111.0', kernel: '6.1', created: '2024-11-08T20:31:47.000Z' },
  { version: '2023.6.20241212.0', kernel: '6.1', created: '2024-12-10T23:55:12.000Z' },
  // A newer kernel line: not what `…-kernel-6.1-<arch>` selects.
  { version: '2023.6.20241212.0', kernel: '6.12', created: '2024-12-11T00:20:40.000Z' },
];
const ARCHES = ['x86_64', 'arm64'] as const;
const VARIANTS = ['', 'minimal-'] as const;

export interface ImageInfo {
  ImageId: string;
  ImageLocation: string;
  State: 'available';
  OwnerId: string;
  ImageOwnerAlias: 'amazon';
  Public: true;
  Architecture: string;
  ImageType: 'machine';
  CreationDate: string;
  Name: string;
  Description: string;
  RootDeviceType: 'ebs';
  RootDeviceName: string;
  VirtualizationType: 'hvm';
  Hypervisor: 'xen';
  EnaSupport: true;
  SriovNetSupport: 'simple';
  BootMode: string;
  ImdsSupport: 'v2.0';
  PlatformDetails: 'Linux/UNIX';
  UsageOperation: 'RunInstances';
  BlockDeviceMappings: {
    DeviceName: string;
    Ebs: {
      DeleteOnTermination: boolean;
      SnapshotId: string;
      VolumeSize: number;
      VolumeType: string;
      Encrypted: boolean;
      Iops?: number;
      Throughput?: number;
    };
  }[];
}

function hex17(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 17);
}

/** The deterministic id of a named image in a region. */
export function imageIdFor(region: string, name: string): string {
  return `ami-${hex17(`${region}/${name}`)}`;
}

const cache = new Map<string, ImageInfo[]>();

/** Every public image localcloud knows in a region. */
export function imagesOf(region: string): readonly ImageInfo[] {
  const hit = cache.get(region);
  if (hit) return hit;
  const images: ImageInfo[] = [];
  for (const r of RELEASES) {
    for (const variant of VARIANTS) {
      for (const arch of ARCHES) {
        const name = `al2023-ami-${variant}${r.version}-kernel-${r.kernel}-${arch}`;
        images.push({
          ImageId: imageIdFor(region, name),
          ImageLocation: `amazon/${name}`,
          State: 'available',
          OwnerId: AMAZON_OWNER_ID,
          ImageOwnerAlias: 'amazon',
          Public: true,
          Architecture: arch,
          ImageType: 'machine',
          CreationDate: r.created,
          Name: name,
          Description: `Amazon Linux 2023 AMI ${variant ? 'minimal ' : ''}${r.version} ${arch} HVM kernel-${r.kernel}`,
          RootDeviceType: 'ebs',
          RootDeviceName: '/dev/xvda',
          VirtualizationType: 'hvm',
          Hypervisor: 'xen',
          EnaSupport: true,
          SriovNetSupport: 'simple',
          BootMode: arch === 'arm64' ? 'uefi' : 'uefi-preferred',
          ImdsSupport: 'v2.0',
          PlatformDetails: 'Linux/UNIX',
          UsageOperation: 'RunInstances',
          BlockDeviceMappings: [
            {
              DeviceName: '/dev/xvda',
              Ebs: {
                DeleteOnTermination: true,
                SnapshotId: `snap-${hex17(`${region}/${name}/root`)}`,
                VolumeSize: variant ? 2 : 8,
                VolumeType: 'gp3',
                Encrypted: false,
                Iops: 3000,
                Throughput: 125,
              },
            },
          ],
        });
      }
    }
  }
  images.sort((a, b) => a.Name.localeCompare(b.Name));
  cache.set(region, images);
  return images;
}

const IMAGE_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

function filterValues(image: ImageInfo, name: string): string[] | undefined {
  switch (name) {
    case 'name':
      return [image.Name];
    case 'architecture':
      return [image.Architecture];
    case 'owner-alias':
      return [image.ImageOwnerAlias];
    case 'owner-id':
      return [image.OwnerId];
    case 'state':
      return [image.State];
    case 'image-id':
      return [image.ImageId];
    case 'image-type':
      return [image.ImageType];
    case 'is-public':
      return [String(image.Public)];
    case 'root-device-type':
      return [image.RootDeviceType];
    case 'virtualization-type':
      return [image.VirtualizationType];
    case 'hypervisor':
      return [image.Hypervisor];
    case 'platform-details':
      return [image.PlatformDetails];
    case 'description':
      return [image.Description];
    default:
      return tagFilterValues(name, {});
  }
}

/** Whether an image passes the `Owners` list (`amazon`, `self`, `aws-marketplace`, account ids). */
function ownedBy(image: ImageInfo, owners: string[], callerAccount: string): boolean {
  if (owners.length === 0) return true;
  return owners.some((o) => {
    if (o === 'amazon') return image.ImageOwnerAlias === 'amazon';
    if (o === 'self') return image.OwnerId === callerAccount;
    if (o === 'aws-marketplace') return false;
    return image.OwnerId === o;
  });
}

export function describeImages(call: Call, cloud: Cloud): Promise<Record<string, unknown>> {
  // Authorization first: a caller without ec2:DescribeImages learns nothing about ids.
  authorizeAll(call, cloud, [{ arn: '*' }]);
  const ids = optStrings(call.input, 'ImageIds');
  const owners = optStrings(call.input, 'Owners');
  for (const o of owners) {
    if (!['amazon', 'self', 'aws-marketplace'].includes(o) && !/^\d{12}$/.test(o)) {
      throw ec2Error('InvalidUserID.Malformed', `Invalid user id: "${o}"`);
    }
  }
  const malformed = ids.find((id) => !IMAGE_ID.test(id));
  if (malformed !== undefined) {
    throw ec2Error('InvalidAMIID.Malformed', `Invalid id: "${malformed}" (expecting "ami-...")`);
  }
  const catalog = imagesOf(call.region);
  const missingIds = ids.filter((id) => !catalog.some((i) => i.ImageId === id));
  if (missingIds.length > 0) {
    throw ec2Error(
      'InvalidAMIID.NotFound',
      `The image id '[${missingIds.join(', ')}]' does not exist`,
    );
  }
  const filters = readFilters(call.input);
  const rows = catalog
    .filter((i) => ids.length === 0 || ids.includes(i.ImageId))
    .filter((i) => ownedBy(i, owners, call.caller.accountId))
    .filter((i) => matchesFilters(filters, (name) => filterValues(i, name)));
  const { page, nextToken } = paginate(rows, call.input, { min: 5, max: 1000 });
  return Promise.resolve({ Images: page, ...(nextToken ? { NextToken: nextToken } : {}) });
}
