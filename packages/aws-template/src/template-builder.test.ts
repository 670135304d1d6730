import { RegoEngine, TemplateFile } from '@aws/cloudformation-validate';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER_ROLES } from './permission-registry.ts';
import { createSampleStack, DEMO_EXISTING_NETWORK, DEMO_PARAMETERS } from './sample-stack.ts';
import {
  buildTemplate,
  PHONE_HOME_RESOURCE_TYPE,
  PHONE_HOME_STAGES,
  STACK_OUTPUTS,
  WORKER_PORT,
  type CfnTemplate,
} from './template-builder.ts';
import { renderTemplate, type TemplateFormat } from './template-render.ts';
import { LATEST_TEMPLATE_VERSION, TEMPLATE_VERSION } from './template-version.ts';

const dir = mkdtempSync(join(tmpdir(), 'ferry-template-'));
// The validator's WASM engine is slow to start: one per file.
let engine: InstanceType<typeof RegoEngine>;
// External tools on a shared machine: generous hook timeouts, nothing slow inside tests.
const SLOW_TOOL_TIMEOUT = 240_000;
beforeAll(() => {
  engine = new RegoEngine();
}, SLOW_TOOL_TIMEOUT);
afterAll(() => {
  engine.free();
  rmSync(dir, { recursive: true, force: true });
});

function writeTemplate(name: string, template: CfnTemplate, format: TemplateFormat): string {
  const file = join(dir, `${name}.${format}`);
  writeFileSync(file, renderTemplate(template, format));
  return file;
}

interface CfnLintFinding {
  Level: string;
  Rule: { Id: string };
  Message: string;
  Location: { Path: (string | number)[] };
}

/** Runs cfn-lint once over several files (it starts slowly) and groups findings per file. */
async function cfnLint(files: string[]): Promise<Map<string, CfnLintFinding[]>> {
  const run = promisify(execFile);
  let stdout: string;
  try {
    ({ stdout } = await run('cfn-lint', ['--format', 'json', '--', ...files]));
  } catch (error) {
    // cfn-lint exits non-zero when it finds anything; its findings are still on stdout.
    const out = (error as { stdout?: string }).stdout;
    if (!out) throw error;
    stdout = out;
  }
  const findings = JSON.parse(stdout || '[]') as (CfnLintFinding & { Filename: string })[];
  return new Map(files.map((f) => [f, findings.filter((x) => x.Filename === f)]));
}

const variants = ['new', 'existing'] as const;
const lintFiles = Object.fromEntries(
  variants.map((n) => [n, writeTemplate(`lint-${n}`, buildTemplate({ network: n }), 'yaml')]),
) as Record<(typeof variants)[number], string>;
let lint: Map<string, CfnLintFinding[]>;
beforeAll(async () => {
  lint = await cfnLint(Object.values(lintFiles));
}, SLOW_TOOL_TIMEOUT);

describe.each(variants)('the %s-network template', (network) => {
  const template = buildTemplate({ network });

  it.each(['json', 'yaml'] as const)(
    'passes AWS’s offline validator with zero errors (%s)',
    (format) => {
      const report = engine.validateStandard(
        new TemplateFile(writeTemplate(`validate-${network}`, template, format)),
      );
      expect(report.status).toBe('OK');
      const errors = report.diagnostics.filter((d) => ['ERROR', 'FATAL'].includes(d.severity));
      expect(errors).toEqual([]);
      // Warnings are allowed, but reported.
      for (const w of report.diagnostics.filter((d) => d.severity === 'WARN')) {
        console.warn(`cloudformation-validate ${network}: ${w.ruleId} ${w.message}`);
      }
    },
    SLOW_TOOL_TIMEOUT,
  );

  it('passes cfn-lint with zero errors', () => {
    const findings = lint.get(lintFiles[network]) ?? [];
    for (const f of findings.filter((x) => x.Level !== 'Error')) {
      console.warn(`cfn-lint ${network}: ${f.Level} ${f.Rule.Id} ${f.Message}`);
    }
    expect(findings.filter((f) => f.Level === 'Error')).toEqual([]);
  });

  it('renders YAML that reads back as the same template', () => {
    expect(parse(renderTemplate(template, 'yaml'))).toEqual(template);
    expect(parse(renderTemplate(template, 'yaml'), { version: '1.1' })).toEqual(template);
    expect(JSON.parse(renderTemplate(template, 'json'))).toEqual(template);
  });

  it('names the network parameters of its variant only', () => {
    const params = Object.keys(template.Parameters);
    if (network === 'existing') {
      expect(template.Parameters.VpcId?.Type).toBe('AWS::EC2::VPC::Id');
      expect(template.Parameters.SubnetIds?.Type).toBe('List<AWS::EC2::Subnet::Id>');
      expect(template.Resources.Vpc).toBeUndefined();
    } else {
      expect(params).not.toContain('VpcId');
      expect(template.Resources.Vpc?.Type).toBe('AWS::EC2::VPC');
      expect(template.Resources.PublicSubnet2?.Type).toBe('AWS::EC2::Subnet');
    }
    expect(template.Parameters.ExternalId?.NoEcho).toBe(false);
    expect(template.Parameters.WorkerBuckets?.Type).toBe('CommaDelimitedList');
  });

  it('opens the direct group on the worker port to the allowed CIDR only, the proxy group on nothing', () => {
    const direct = template.Resources.DirectSecurityGroup!.Properties;
    expect(direct.SecurityGroupIngress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: WORKER_PORT,
        ToPort: WORKER_PORT,
        CidrIp: { Ref: 'AllowedClientCidr' },
      }),
    ]);
    expect(template.Resources.ProxySecurityGroup!.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('reports the phone-home stages in order, each after its stage’s resources', () => {
    const phoneHomes = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === PHONE_HOME_RESOURCE_TYPE,
    );
    expect(phoneHomes.map(([, r]) => r.Properties.Stage)).toEqual([...PHONE_HOME_STAGES]);
    PHONE_HOME_STAGES.forEach((stage, i) => {
      const r = template.Resources[`PhoneHome${stage}`]!;
      expect(r.Properties.ServiceToken).toEqual({ Ref: 'PhoneHomeTopicArn' });
      expect(r.Properties.ExternalId).toEqual({ Ref: 'ExternalId' });
      expect(r.Properties.WorkspaceId).toEqual({ Ref: 'WorkspaceId' });
      if (i > 0) expect(r.DependsOn).toContain(`PhoneHome${PHONE_HOME_STAGES[i - 1]}`);
    });
    expect(template.Resources.PhoneHomePolicies!.DependsOn).toEqual(
      expect.arrayContaining(CUSTOMER_ROLES.map((r) => `${r}Policy`)),
    );
    if (network === 'new') {
      expect(template.Resources.PhoneHomeNetwork!.DependsOn).toEqual(
        expect.arrayContaining(['PublicDefaultRoute', 'PublicSubnet2RouteTableAssociation']),
      );
    }
  });

  it('carries every output in the Connected report and the outputs of a deployed stack', () => {
    const stack = createSampleStack(template, {
      parameters: {
        ...DEMO_PARAMETERS,
        ...(network === 'existing'
          ? { VpcId: DEMO_EXISTING_NETWORK.VpcId, SubnetIds: [...DEMO_EXISTING_NETWORK.SubnetIds] }
          : {}),
      },
    });
    const connected = stack.resources.PhoneHomeConnected!.Properties;
    for (const o of STACK_OUTPUTS) {
      expect(stack.outputs[o], o).toBeTruthy();
      if (o !== 'SubnetIds') expect(connected[o], o).toBe(stack.outputs[o]);
    }
    expect(connected.SubnetIds).toEqual(stack.outputs.SubnetIds.split(','));
    expect(connected.TemplateVersion).toBe(LATEST_TEMPLATE_VERSION);
    expect(LATEST_TEMPLATE_VERSION.startsWith(`${TEMPLATE_VERSION}+p`)).toBe(true);
    expect(connected.AccountId).toBe(stack.facts.accountId);
    expect(stack.outputs.WorkerRoleArn).toBe('arn:aws:iam::111122223333:role/ferry-ws-demo-worker');
    if (network === 'existing') {
      expect(stack.outputs.SubnetIds.split(',')).toEqual(DEMO_EXISTING_NETWORK.SubnetIds);
    } else {
      const azs = ['PublicSubnet1', 'PublicSubnet2'].map(
        (s) => stack.resources[s]!.Properties.AvailabilityZone,
      );
      expect(new Set(azs).size).toBe(2);
    }
  });

  it('keeps each role policy well under IAM’s managed-policy size limit', () => {
    const stack = createSampleStack(template, {
      parameters: {
        ...DEMO_PARAMETERS,
        WorkerBuckets: ['a-bucket-with-a-fairly-long-name-0001', 'another-long-bucket-name-0002'],
        ...(network === 'existing'
          ? { VpcId: DEMO_EXISTING_NETWORK.VpcId, SubnetIds: [...DEMO_EXISTING_NETWORK.SubnetIds] }
          : {}),
      },
    });
    for (const role of CUSTOMER_ROLES) {
      const doc = JSON.stringify(stack.resources[`${role}Policy`]!.Properties.PolicyDocument);
      expect(doc.replace(/\s/g, '').length, role).toBeLessThan(6144 * 0.75);
    }
  });
});

describe('template parameters', () => {
  it('takes defaults for the platform-filled parameters', () => {
    const t = buildTemplate({
      network: 'new',
      defaults: { WorkspaceId: 'ws-1', ExternalId: 'x'.repeat(40), WorkerBuckets: 'a,b' },
    });
    expect(t.Parameters.WorkspaceId?.Default).toBe('ws-1');
    expect(t.Parameters.ExternalId?.Default).toBe('x'.repeat(40));
    expect(t.Parameters.WorkerBuckets?.Default).toBe('a,b');
    expect(t.Parameters.PlatformPrincipalArn?.Default).toBeUndefined();
  });

  it('constrains the external ID to what STS accepts', () => {
    const pattern = new RegExp(
      `^(?:${buildTemplate({ network: 'new' }).Parameters.ExternalId?.AllowedPattern as string})$`,
    );
    expect(pattern.test('ferry-ext-3f9c2a7d5e8b4c1a9f6d2e7b8a1c4d5e')).toBe(true);
    expect(pattern.test('has space')).toBe(false);
    expect(pattern.test('x')).toBe(false);
  });
});
