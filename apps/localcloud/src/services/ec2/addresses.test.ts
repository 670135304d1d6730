/**
 * Two localclouds on one host give their instances different loopback addresses: each starts
 * its range elsewhere, so a process one instance listens with (a worker's port 5051) never
 * collides with another cloud's instance.
 */
import { EC2Client, RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, expect, it } from 'vitest';
import { startEc2TestCloud, type Ec2TestCloud } from './test-support.ts';

const clouds: Ec2TestCloud[] = [];
afterAll(async () => {
  for (const c of clouds) await c.stop();
});

it('instances of two clouds in one process get different addresses', async () => {
  const addresses: string[] = [];
  for (let i = 0; i < 2; i++) {
    const lc = await startEc2TestCloud();
    clouds.push(lc);
    const ec2 = new EC2Client(lc.config(await lc.account(`addresses-${i}`)));
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0abcdef1234567890',
        InstanceType: 't3.micro',
        MinCount: 2,
        MaxCount: 2,
      }),
    );
    for (const inst of out.Instances ?? []) {
      const ip = inst.PrivateIpAddress ?? '';
      expect(ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
      expect(ip.startsWith('127.0.0.')).toBe(false);
      addresses.push(ip);
    }
    await ec2.send(
      new TerminateInstancesCommand({
        InstanceIds: (out.Instances ?? []).map((x) => x.InstanceId!),
      }),
    );
    ec2.destroy();
  }
  expect(new Set(addresses).size).toBe(4);
});
