/**
 * `AWS::S3::Bucket`: the bucket with its default encryption, public access block, ownership
 * controls, lifecycle rules and tags, each made with the S3 call AWS's provider makes. A
 * changed BucketName replaces the bucket; any other property is updated in place (an absent
 * one is deleted). Deleting a bucket that still holds objects fails with S3's BucketNotEmpty,
 * as on AWS (the stack ends DELETE_FAILED) unless the template retains it.
 */
import type { Json } from '../template-parser.ts';
import { bool, list, physicalName, str, tagList } from './resource-provider.ts';
import type { ProvisionContext, ResourceProvider } from './resource-provider.ts';

type Props = Record<string, Json>;
const obj = (v: Json | undefined): Props =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};
const num = (v: Json | undefined): number | undefined => {
  const s = str(v);
  return s === undefined ? undefined : Number(s);
};

const encryptionInput = (p: Json) => ({
  Rules: list(obj(p).ServerSideEncryptionConfiguration).map((r) => {
    const rule = obj(r);
    const byDefault = obj(rule.ServerSideEncryptionByDefault);
    return {
      ApplyServerSideEncryptionByDefault: {
        SSEAlgorithm: str(byDefault.SSEAlgorithm),
        ...(byDefault.KMSMasterKeyID === undefined
          ? {}
          : { KMSMasterKeyID: str(byDefault.KMSMasterKeyID) }),
      },
      ...(rule.BucketKeyEnabled === undefined
        ? {}
        : { BucketKeyEnabled: bool(rule.BucketKeyEnabled) }),
    };
  }),
});

const publicAccessBlockInput = (p: Json) => {
  const c = obj(p);
  return Object.fromEntries(
    ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'].map(
      (f) => [f, bool(c[f]) ?? false],
    ),
  );
};

const ownershipInput = (p: Json) => ({
  Rules: list(obj(p).Rules).map((r) => ({ ObjectOwnership: str(obj(r).ObjectOwnership) })),
});

/** CloudFormation's lifecycle rule (`Id`, `ExpirationInDays`, `Prefix`, …) as S3's. */
const lifecycleInput = (p: Json) => ({
  Rules: list(obj(p).Rules).map((r) => {
    const rule = obj(r);
    const tags = list(rule.TagFilters).map((t) => ({
      Key: str(obj(t).Key),
      Value: str(obj(t).Value),
    }));
    const prefix = str(rule.Prefix);
    const greater = num(rule.ObjectSizeGreaterThan);
    const less = num(rule.ObjectSizeLessThan);
    const parts = [prefix, greater, less].filter((x) => x !== undefined).length + tags.length;
    const filter =
      parts > 1
        ? {
            And: {
              ...(prefix === undefined ? {} : { Prefix: prefix }),
              ...(tags.length === 0 ? {} : { Tags: tags }),
              ...(greater === undefined ? {} : { ObjectSizeGreaterThan: greater }),
              ...(less === undefined ? {} : { ObjectSizeLessThan: less }),
            },
          }
        : tags.length === 1
          ? { Tag: tags[0] }
          : {
              ...(prefix === undefined ? {} : { Prefix: prefix }),
              ...(greater === undefined ? {} : { ObjectSizeGreaterThan: greater }),
              ...(less === undefined ? {} : { ObjectSizeLessThan: less }),
            };
    const days = num(rule.ExpirationInDays);
    const date = str(rule.ExpirationDate);
    const abort = num(obj(rule.AbortIncompleteMultipartUpload).DaysAfterInitiation);
    return {
      ...(str(rule.Id) === undefined ? {} : { ID: str(rule.Id) }),
      Status: str(rule.Status),
      Filter: filter,
      ...(days === undefined && date === undefined
        ? {}
        : { Expiration: days === undefined ? { Date: date } : { Days: days } }),
      ...(abort === undefined
        ? {}
        : { AbortIncompleteMultipartUpload: { DaysAfterInitiation: abort } }),
    };
  }),
});

/** Property → the S3 calls that set and remove it. */
const CONFIGURATIONS: {
  property: string;
  put: string;
  remove: string;
  input: (bucket: string, value: Json) => Record<string, unknown>;
}[] = [
  {
    property: 'BucketEncryption',
    put: 'PutBucketEncryption',
    remove: 'DeleteBucketEncryption',
    input: (Bucket, v) => ({ Bucket, ServerSideEncryptionConfiguration: encryptionInput(v) }),
  },
  {
    property: 'PublicAccessBlockConfiguration',
    put: 'PutPublicAccessBlock',
    remove: 'DeletePublicAccessBlock',
    input: (Bucket, v) => ({ Bucket, PublicAccessBlockConfiguration: publicAccessBlockInput(v) }),
  },
  {
    property: 'OwnershipControls',
    put: 'PutBucketOwnershipControls',
    remove: 'DeleteBucketOwnershipControls',
    input: (Bucket, v) => ({ Bucket, OwnershipControls: ownershipInput(v) }),
  },
  {
    property: 'LifecycleConfiguration',
    put: 'PutBucketLifecycleConfiguration',
    remove: 'DeleteBucketLifecycle',
    input: (Bucket, v) => ({ Bucket, LifecycleConfiguration: lifecycleInput(v) }),
  },
  {
    property: 'Tags',
    put: 'PutBucketTagging',
    remove: 'DeleteBucketTagging',
    input: (Bucket, v) => ({ Bucket, Tagging: { TagSet: tagList(v) } }),
  },
];

function attributesOf(ctx: ProvisionContext, name: string): Record<string, Json> {
  return {
    Arn: `arn:aws:s3:::${name}`,
    DomainName: `${name}.s3.amazonaws.com`,
    RegionalDomainName: `${name}.s3.${ctx.region}.amazonaws.com`,
    DualStackDomainName: `${name}.s3.dualstack.${ctx.region}.amazonaws.com`,
    WebsiteURL: `http://${name}.s3-website-${ctx.region}.amazonaws.com`,
  };
}

const bucket: ResourceProvider = {
  replaceOn: ['BucketName'],
  async create(ctx, p) {
    const name = str(p.BucketName) ?? physicalName(ctx, 63).toLowerCase();
    await ctx.invoke('s3', 'CreateBucket', {
      Bucket: name,
      ...(ctx.region === 'us-east-1'
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: ctx.region } }),
    });
    for (const c of CONFIGURATIONS) {
      const value = p[c.property];
      if (value !== undefined) await ctx.invoke('s3', c.put, c.input(name, value));
    }
    return { physicalId: name, attributes: attributesOf(ctx, name) };
  },
  async update(ctx, current, p) {
    for (const c of CONFIGURATIONS) {
      const before = current.properties[c.property];
      const after = p[c.property];
      if (JSON.stringify(before) === JSON.stringify(after)) continue;
      await ctx.invoke(
        's3',
        after === undefined ? c.remove : c.put,
        after === undefined ? { Bucket: current.physicalId } : c.input(current.physicalId, after),
      );
    }
    return { physicalId: current.physicalId, attributes: current.attributes };
  },
  async delete(ctx, current) {
    await ctx.invoke('s3', 'DeleteBucket', { Bucket: current.physicalId });
  },
};

export const s3Resources: Record<string, ResourceProvider> = {
  'AWS::S3::Bucket': bucket,
};
