/**
 * `ferry compute` end to end on localcloud, as a user runs it with a personal access
 * token: a manifest started and awaited until Idle (type and why printed), started again
 * (the live cluster is reused), a context nothing fits, status, list and logs, `logs
 * --follow` ending when the cluster stops, and `stop --wait` returning only once EC2 — asked
 * as the customer — shows every instance terminated.
 */
import { createBufferIo, runCli } from '@ferry/cli';
import { FERRY_TAGS } from '@ferry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerInstances } from './fixtures/compute-helpers.ts';
import {
  startConnectedWorkspace,
  type ConnectedWorkspace,
} from './fixtures/connected-workspace.ts';

let f: ConnectedWorkspace;
let token: string;

beforeAll(async () => {
  f = await startConnectedWorkspace();
  const created = await f.api('POST', '/api/v1/auth/tokens', {
    name: 'cli',
    scopes: ['workspace:read', 'compute:read', 'compute:start'],
    expiresInDays: 1,
  });
  expect(created.status).toBe(201);
  token = String(created.body.secret);
}, 180_000);

afterAll(async () => {
  await f?.stop();
});

async function ferry(...argv: string[]) {
  const io = createBufferIo();
  const code = await runCli(
    [
      'compute',
      ...argv,
      '--url',
      f.controlPlane.url,
      '--token',
      token,
      '--workspace',
      f.workspaceId,
    ],
    io,
    { FERRY_CONFIG_DIR: '/nonexistent/ferry' },
  );
  const out = io.out();
  const err = io.err();
  expect(out + err).not.toContain(token);
  return { code, out, err };
}

describe('ferry compute on localcloud', { timeout: 90_000 }, () => {
  let clusterId = '';

  it('starts a manifest and waits until Idle, printing the type, its price and why', async () => {
    const put = await ferry(
      'manifest',
      'put',
      'cli-e2e',
      '--cpus',
      '2',
      '--memory',
      '4',
      '--idle-timeout',
      '5',
      '--label',
      'suite=cli',
    );
    expect(put.code, put.err).toBe(0);

    const started = await ferry('start', '--manifest', 'cli-e2e', '--wait', '--timeout', '60');
    expect(started.err).toBe('');
    expect(started.code).toBe(0);
    clusterId = /^cluster (cl_\w+)/.exec(started.out)?.[1] ?? '';
    expect(clusterId).not.toBe('');
    const type = /instance type: (\S+) at \$([\d.]+)\/hour per node/.exec(started.out);
    expect(type).not.toBeNull();
    expect(started.out).toMatch(
      new RegExp(
        `why: +${type?.[1]?.replace('.', '\\.')} at \\$[\\d.]+/hour in us-east-1 is the cheapest of \\d+ types with ≥ 2 vCPUs and ≥ 4 GiB`,
      ),
    );
    expect(started.out).toMatch(
      /candidates \(\d+ fit, cheapest first\):\n\s+RANK\s+TYPE\s+VCPUS\s+MEMORY GiB\s+\$\/HOUR\s+ZONES\n\s+0\s+\S+ ←/,
    );
    expect(started.out).toMatch(/rejected: \d+ types \(.*too_little_memory \d+/);
    expect(started.out).toMatch(/waiting for Idle:\n(.*\n)*\s+\S+\s+Idle\n/);
    expect(started.out).toMatch(
      /nodes:\n\s+INSTANCE.*\n\s+i-[0-9a-f]+\s+\S+\s+us-east-1\w\s+\S+\s+running\s+idle/,
    );

    // The manifest's live cluster is returned, not a second one.
    const again = await ferry('start', '--manifest', 'cli-e2e', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ id: clusterId, reused: true, state: 'Idle' });
  });

  it('names the field when nothing fits, and starts nothing', async () => {
    const r = await ferry('start', '--cpus', '2', '--memory', '4096');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ferry: --memory: no instance type offers 4096 GiB[^\n]*\n$/);
    const list = JSON.parse((await ferry('list', '--json')).out) as { id: string }[];
    expect(list.map((c) => c.id)).toEqual([clusterId]);
  });

  it('shows status, list and the worker’s log lines', async () => {
    const status = await ferry('status', clusterId);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(new RegExp(`^cluster ${clusterId}  (Idle|Busy)\\n`));
    expect(status.out).toMatch(/manifest:\s+cli-e2e/);
    expect(status.out).toMatch(/running cost:\s+\$\d+\.\d{4}/);
    expect(status.out).toMatch(/labels:\s+suite=cli/);
    expect(status.out).toMatch(
      /recent events:\n.*\n.*-\s+Starting\s+start.*\n.*Starting\s+Idle\s+ready/,
    );

    const list = await ferry('list', '--state', 'Idle,Busy', '--label', 'suite=cli');
    expect(list.out).toMatch(new RegExp(`\\n${clusterId}\\s+(Idle|Busy)\\s+\\S+\\s+1/1\\s+\\$`));
    expect((await ferry('list', '--state', 'Stopped')).out).toBe('no clusters\n');

    // Lines come with heartbeats (every second here).
    const lines = await f.until('log lines', async () => {
      const r = await ferry('logs', clusterId, '--json');
      const items = JSON.parse(r.out) as { instanceId: string; line: string }[];
      return items.length > 0 ? items : undefined;
    });
    expect(lines[0]?.instanceId).toMatch(/^i-[0-9a-f]+$/);
    const text = await ferry('logs', clusterId);
    expect(text.out.split('\n')[0]).toMatch(/^\S+Z i-[0-9a-f]+ (stdout|stderr|agent) /);
  });

  it('follows logs until the cluster ends; stop --wait returns once EC2 shows it terminated', async () => {
    const follow = ferry('logs', clusterId, '--follow', '--poll', '200');
    const stopped = await ferry('stop', clusterId, '--wait', '--timeout', '60');
    expect(stopped.err).toBe('');
    expect(stopped.code).toBe(0);
    expect(stopped.out).toMatch(new RegExp(`^cluster ${clusterId}: waiting for Stopped:\\n`));
    expect(stopped.out).toMatch(/Stopped \(StoppedByUser\)\n\s+running cost: \$/);

    const ec2 = f.customerEc2();
    const instances = await customerInstances(ec2, [
      { Name: `tag:${FERRY_TAGS.cluster}`, Values: [clusterId] },
    ]);
    expect(instances.length).toBe(1);
    expect(instances.map((i) => i.State?.Name)).toEqual(['terminated']);

    const followed = await follow;
    expect(followed.code).toBe(0);
    expect(followed.out).toMatch(/ i-[0-9a-f]+ /);

    // Stopping again changes nothing.
    const again = await ferry('stop', clusterId, '--json');
    expect(JSON.parse(again.out)).toMatchObject({
      id: clusterId,
      state: 'Stopped',
      reason: 'StoppedByUser',
    });
  });
});
