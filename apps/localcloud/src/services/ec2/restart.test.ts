import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEc2TestCloud, waitFor, type Ec2TestCloud } from './test-support.ts';

describe('instances across a restart with a state directory', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'ec2-restart-test-'));
  const running: Ec2TestCloud[] = [];
  afterAll(async () => {
    for (const lc of running) await lc.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('recovers running instances as after a host failure: same id and address, process restarted', async () => {
    const first = await startEc2TestCloud({ stateDir });
    running.push(first);
    const acct = await first.account('restart');
    const ec2 = new EC2Client(first.config(acct));
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0abcdef1234567890',
        InstanceType: 'm7i.large',
        MinCount: 1,
        MaxCount: 1,
        UserData: Buffer.from(JSON.stringify({ command: ['sleep', '300'] })).toString('base64'),
      }),
    );
    const id = run.Instances?.[0]?.InstanceId ?? '';
    const ip = run.Instances?.[0]?.PrivateIpAddress;
    const pidOf = async (lc: Ec2TestCloud) => {
      const res = await lc.admin('GET', '/_localcloud/instances');
      const row = (
        res.body as { instances: { instanceId: string; state: string; pid?: number }[] }
      ).instances.find((i) => i.instanceId === id);
      return row?.state === 'running' && row.pid ? row.pid : undefined;
    };
    const oldPid = await waitFor(() => pidOf(first));
    await first.stop();
    running.pop();
    expect(() => process.kill(oldPid, 0)).toThrow();

    const second = await startEc2TestCloud({ stateDir });
    running.push(second);
    const again = new EC2Client(second.config(acct));
    const newPid = await waitFor(() => pidOf(second));
    expect(newPid).not.toBe(oldPid);
    const out = await again.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
    const inst = out.Reservations?.[0]?.Instances?.[0];
    expect(inst?.State?.Name).toBe('running');
    expect(inst?.PrivateIpAddress).toBe(ip);
    expect(inst?.StateTransitionReason).toMatch(/^Instance recovered after a host restart/);
  });
});
