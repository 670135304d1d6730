/**
 * The worker's machine image: the operator's pinned `config.compute.imageId`, else the
 * region's newest Amazon Linux 2023 image for the architecture (DescribeImages, Owners
 * amazon), cached per account, region and architecture.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { loadEc2Sdk } from '../aws/ec2-sdk.ts';
import type { Resources } from '../resources.ts';
import { abortable, retryEc2, type CallCounter } from './ec2-retry.ts';

/** How long a looked-up image id is reused. */
export const IMAGE_TTL_MS = 6 * 60 * 60_000;

/** Architectures a worker image exists for. */
export type ImageArchitecture = 'x86_64' | 'arm64';

/** The name pattern of the worker's base image for `arch`. */
export function workerImageNamePattern(arch: ImageArchitecture): string {
  return `al2023-ami-2023.*-kernel-6.1-${arch}`;
}

/** No image matched in the region. */
export class WorkerImageNotFoundError extends Error {
  readonly code = 'worker_image_not_found';
  constructor(region: string, arch: ImageArchitecture) {
    super(`No ${workerImageNamePattern(arch)} image in ${region}; pin one with compute.imageId.`);
  }
}

/** Image ids by account, region and architecture (`resources.caches.workerImages`). */
export type WorkerImageCache = Map<string, { at: number; value: Promise<string> }>;

/** An empty cache, made with the resources object. */
export function createWorkerImageCache(): WorkerImageCache {
  return new Map();
}

/** The image id to launch workers of `arch` with, in `ec2`'s account and region. */
export async function workerImageId(
  resources: Resources,
  ec2: EC2Client,
  where: { accountId: string; region: string },
  arch: ImageArchitecture,
  counter?: CallCounter,
): Promise<string> {
  const pinned = resources.config.compute.imageId;
  if (pinned !== undefined) return pinned;
  const cache = resources.caches.workerImages;
  const key = `${where.accountId}:${where.region}:${arch}`;
  const now = resources.clock.now().getTime();
  const hit = cache.get(key);
  if (hit && now - hit.at < IMAGE_TTL_MS) return hit.value;
  const value = (async () => {
    const { DescribeImagesCommand } = await loadEc2Sdk();
    const out = await retryEc2(
      (signal) =>
        ec2.send(
          new DescribeImagesCommand({
            Owners: ['amazon'],
            Filters: [
              { Name: 'name', Values: [workerImageNamePattern(arch)] },
              { Name: 'architecture', Values: [arch] },
              { Name: 'state', Values: ['available'] },
            ],
          }),
          abortable(signal),
        ),
      counter ? { counter } : {},
    );
    // Newest first by creation date (ISO 8601 strings sort as times), then by name.
    const newest = [...(out.Images ?? [])]
      .filter((i) => i.ImageId)
      .sort(
        (a, b) =>
          (b.CreationDate ?? '').localeCompare(a.CreationDate ?? '') ||
          (b.Name ?? '').localeCompare(a.Name ?? ''),
      )[0];
    if (!newest?.ImageId) throw new WorkerImageNotFoundError(where.region, arch);
    return newest.ImageId;
  })();
  const map = cache;
  map.set(key, { at: now, value });
  value.catch(() => {
    if (map.get(key)?.value === value) map.delete(key);
  });
  return value;
}
