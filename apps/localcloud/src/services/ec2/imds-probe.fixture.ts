/**
 * Runs inside an instance (as its user-data command) in tests: reads the instance's identity
 * and role credentials from IMDS the way any SDK does, uses them, and writes what it saw to
 * the file named by PROBE_OUT. Exits 0 so the instance's shutdown behaviour applies.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeAvailabilityZonesCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';

const endpoint = process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? '';
const out: Record<string, unknown> = {
  env: {
    hasAccessKey: process.env.AWS_ACCESS_KEY_ID !== undefined,
    imds: endpoint,
    endpointUrl: process.env.AWS_ENDPOINT_URL,
    instanceIp: process.env.FERRY_INSTANCE_IP,
  },
};

async function main(): Promise<void> {
  const v1 = await fetch(new URL('latest/meta-data/instance-id', endpoint));
  out.imdsV1Status = v1.status;
  const tokenRes = await fetch(new URL('latest/api/token', endpoint), {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
  });
  const token = await tokenRes.text();
  const get = async (path: string) =>
    (
      await fetch(new URL(path, endpoint), { headers: { 'x-aws-ec2-metadata-token': token } })
    ).text();
  out.instanceId = await get('latest/meta-data/instance-id');
  out.localIpv4 = await get('latest/meta-data/local-ipv4');
  out.zone = await get('latest/meta-data/placement/availability-zone');
  out.tagKeys = await get('latest/meta-data/tags/instance');
  out.role = await get('latest/meta-data/iam/security-credentials/');

  const sts = new STSClient({});
  out.arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  const ec2 = new EC2Client({});
  const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
  out.zones = zones.AvailabilityZones?.length;
  try {
    await ec2.send(new DescribeVpcsCommand({}));
    out.describeVpcs = 'allowed';
  } catch (e) {
    out.describeVpcs = (e as Error).name;
  }
  const bucket = process.env.PROBE_BUCKET;
  if (bucket) {
    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'from-instance.txt', Body: 'hello' }),
    );
    out.putObject = 'ok';
    try {
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'from-instance.txt' }));
      out.getObject = 'allowed';
    } catch (e) {
      out.getObject = (e as Error).name;
    }
  }
}

main()
  .catch((e: unknown) => {
    out.error = String(e);
  })
  .finally(() => {
    // Written then renamed, so the reader never sees a half-written file.
    const file = process.env.PROBE_OUT ?? 'probe.json';
    writeFileSync(`${file}.tmp`, JSON.stringify(out));
    renameSync(`${file}.tmp`, file);
  });
