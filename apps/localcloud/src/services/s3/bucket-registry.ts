/**
 * What S3 knows about buckets that s3rver does not: the owning account (bucket names are
 * global, as in AWS), region, creation date, bucket policy, tags, encryption, public access
 * block, ownership controls, lifecycle rules and in-progress multipart uploads. Kept in localcloud's state so it persists with `--state-dir` alongside s3rver's
 * files.
 */
import type { Cloud } from '../../core/contract.ts';
import type { BucketConfiguration } from './bucket-configuration.ts';

export interface PartRecord {
  etag: string;
  size: number;
  lastModified: string;
}

export interface UploadRecord {
  key: string;
  initiated: string;
  /** ARN of the caller that created the upload. */
  initiator: string;
  parts: Record<string, PartRecord>;
}

export interface BucketRecord extends BucketConfiguration {
  name: string;
  /** Account id of the owner. */
  owner: string;
  region: string;
  created: string;
  /** The bucket policy as submitted (S3 returns it verbatim). */
  policy?: string;
  tags?: Record<string, string>;
  uploads: Record<string, UploadRecord>;
}

interface S3State {
  buckets: Record<string, BucketRecord>;
}

/**
 * Bucket names are one namespace across accounts, so the registry lives in a single state
 * slot rather than per account; `GLOBAL_SCOPE` names that slot.
 */
export const GLOBAL_SCOPE = 'global';

export interface BucketRegistry {
  get(name: string): BucketRecord | undefined;
  add(record: Omit<BucketRecord, 'uploads'>): BucketRecord;
  remove(name: string): void;
  all(): BucketRecord[];
  /** Buckets owned by `accountId`, by name. */
  ownedBy(accountId: string): BucketRecord[];
}

export function createBucketRegistry(cloud: Pick<Cloud, 'state'>): BucketRegistry {
  const state = (): S3State =>
    cloud.state<S3State>('s3', GLOBAL_SCOPE, GLOBAL_SCOPE, () => ({ buckets: {} }));
  return {
    get: (name) => state().buckets[name],
    add(record) {
      const full: BucketRecord = { ...record, uploads: {} };
      state().buckets[record.name] = full;
      return full;
    },
    remove(name) {
      const { buckets } = state();
      delete buckets[name];
    },
    all: () => Object.values(state().buckets),
    ownedBy: (accountId) =>
      Object.values(state().buckets)
        .filter((bucket) => bucket.owner === accountId)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}
