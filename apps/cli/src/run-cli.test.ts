import { buildTemplate, TEMPLATE_VERSION } from '@ferry/aws-template';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createBufferIo } from './cli-io.ts';
import { runCli } from './run-cli.ts';

async function run(...argv: string[]) {
  const io = createBufferIo();
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('ferry template', () => {
  it('prints the new-network template as JSON by default', async () => {
    const { code, out } = await run('template');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual(buildTemplate({ network: 'new' }));
  });

  it('prints the existing-network template as YAML', async () => {
    const { code, out } = await run('template', '--existing-vpc', '--format', 'yaml');
    expect(code).toBe(0);
    expect(parse(out)).toEqual(buildTemplate({ network: 'existing' }));
  });

  it('sets parameter defaults from flags', async () => {
    const { code, out } = await run(
      'template',
      '--workspace-id',
      'ws-42',
      '--platform-principal',
      'arn:aws:iam::999988887777:role/ferry-platform',
      '--external-id',
      'ext-0123456789abcdef0123456789abcdef',
      '--phone-home-topic',
      'arn:aws:sns:eu-west-1:999988887777:ferry-phone-home',
      '--worker-buckets',
      'raw,results',
    );
    expect(code).toBe(0);
    const params = (JSON.parse(out) as { Parameters: Record<string, { Default?: string }> })
      .Parameters;
    expect(params.WorkspaceId?.Default).toBe('ws-42');
    expect(params.PlatformPrincipalArn?.Default).toBe(
      'arn:aws:iam::999988887777:role/ferry-platform',
    );
    expect(params.ExternalId?.Default).toBe('ext-0123456789abcdef0123456789abcdef');
    expect(params.PhoneHomeTopicArn?.Default).toBe(
      'arn:aws:sns:eu-west-1:999988887777:ferry-phone-home',
    );
    expect(params.WorkerBuckets?.Default).toBe('raw,results');
    expect(params.AllowedClientCidr?.Default).toBeUndefined();
  });

  it('rejects a bad value naming the flag and the parameter, printing no template', async () => {
    const { code, out, err } = await run('template', '--platform-principal', 'not-an-arn');
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/--platform-principal \(PlatformPrincipalArn: "not-an-arn" is not/);
  });

  it('rejects an unknown format', async () => {
    const { code, err } = await run('template', '--format', 'xml');
    expect(code).not.toBe(0);
    expect(err).toMatch(/--format.*xml/);
  });

  it('documents every parameter and its default in --help', async () => {
    const { code, out } = await run('template', '--help');
    expect(code).toBe(0);
    expect(out).toContain(`Template ${TEMPLATE_VERSION} parameters`);
    for (const p of [
      'WorkspaceId',
      'PlatformPrincipalArn',
      'ExternalId',
      'PhoneHomeTopicArn',
      'AllowedClientCidr',
      'WorkerBuckets',
      'VpcId',
      'SubnetIds',
    ]) {
      expect(out).toContain(p);
    }
    expect(out).toContain('Default: empty (all buckets)');
    expect(out).toContain('CAPABILITY_NAMED_IAM');
    expect(out).toContain('--existing-vpc');
  });
});

describe('ferry', () => {
  it('lists its commands in --help', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    expect(out).toMatch(/template/);
    expect(out).toMatch(/demo/);
  });

  it('fails on an unknown command', async () => {
    const { code, err } = await run('frobnicate');
    expect(code).not.toBe(0);
    expect(err).toMatch(/unknown command/);
  });
});

describe('ferry demo', () => {
  it('validates the template, evaluates every role, connects a workspace, starts and stops a cluster, leaves nothing running, runs a query in each mode over 10 million rows', async () => {
    const { code, out } = await run('demo', '--exit');
    expect(out).toMatch(/✓ new VPC\s+json \d+ resources, 0 errors/);
    expect(out).toMatch(/✓ existing VPC yaml \d+ resources, 0 errors/);
    expect(out).toMatch(/✓ Worker\s+ec2:TerminateInstances .* → ImplicitlyDenied/);
    expect(out).toMatch(
      /UserInitiated sts:AssumeRole by platform: without the external ID .* → ImplicitlyDenied/,
    );
    expect(out).not.toContain('✗');
    expect(out).toContain('All checks passed.');
    // The compute part: a cluster Idle with its type and why, stopped, nothing left running.
    expect(out).toMatch(
      /instance type: \S+ at \$[\d.]+\/hour per node\n\s+why: +\S+ at \$[\d.]+\/hour in us-east-1 is the cheapest of \d+ types with ≥ 2 vCPUs and ≥ 4 GiB/,
    );
    expect(out).toMatch(/cluster cl_\w+ is Idle: /);
    expect(out).toMatch(/first log lines \([1-9]\d* so far\)/);
    expect(out).toMatch(/Stopped \(StoppedByUser\) after/);
    expect(out).toMatch(
      /customer account \(DescribeInstances as the customer\): [1-9]\d* instance\(s\), 0 not terminated/,
    );
    expect(out).toContain('no instance is left running in the customer account');
    // The query part: 10 million rows, one aggregation per mode, each with its figures.
    expect(out).toMatch(/dataset: 10,000,000 rows in 10 Parquet files/);
    for (const mode of ['direct', 'proxy']) {
      const part = out.slice(out.indexOf(`# ${mode} mode`));
      expect(part).toMatch(/shape: \(5, 4\)/);
      expect(part).toMatch(
        /rows: 265 \(head \d+\), result s3:\/\/ferry-\d{12}-ws-[\w-]+-results\//,
      );
      expect(part).toMatch(/time: \d+ ms end to end; on the node: .*execution \d+ ms/);
      expect(part).toMatch(/profile: engine \S+/);
      expect(part).toMatch(/cost: \$\d+\.\d{6}/);
    }
    expect(out).toContain('demo done: everything it started is stopped.');
    expect(code).toBe(0);
  }, 300_000);
});
