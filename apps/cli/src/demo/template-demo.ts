/**
 * The demo's first part: generate the customer template in both network variants, validate it
 * with AWS's offline validator, deploy it on paper and evaluate every role's policies with
 * @ferry/iam. Returns whether every check passed.
 */
import { RegoEngine, TemplateFile } from '@aws/cloudformation-validate';
import {
  assessStack,
  assessTrust,
  buildTemplate,
  createSampleStack,
  CUSTOMER_ROLES,
  DEMO_EXISTING_NETWORK,
  DEMO_PARAMETERS,
  deniedCases,
  registryCases,
  renderTemplate,
  TEMPLATE_VERSION,
  trustCases,
  type AssessmentResult,
  type NetworkVariant,
  type SampleStack,
} from '@ferry/aws-template';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../cli-io.ts';

const mark = (ok: boolean): string => (ok ? '✓' : '✗');

function deploy(network: NetworkVariant): SampleStack {
  return createSampleStack(buildTemplate({ network }), {
    parameters: {
      ...DEMO_PARAMETERS,
      WorkerBuckets: network === 'existing' ? ['analytics-raw', 'analytics-results'] : [],
      ...(network === 'existing'
        ? { VpcId: DEMO_EXISTING_NETWORK.VpcId, SubnetIds: [...DEMO_EXISTING_NETWORK.SubnetIds] }
        : {}),
    },
  });
}

function describeRequest(r: AssessmentResult): string {
  const resource = r.resource.replace(/^arn:aws:[^:]*:[^:]*:\d*:/, '');
  return `${r.role.padEnd(13)} ${r.action} on ${resource}`;
}

/** Runs the template part of the demo, writing a readable report to `io`. */
export function runTemplateDemo(io: CliIo): boolean {
  let ok = true;
  const say = (line = '') => io.stdout(`${line}\n`);

  say(`ferry demo — customer template ${TEMPLATE_VERSION}`);
  say();
  say('1. Generate and validate the template (AWS’s offline validator)');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-demo-'));
  const engine = new RegoEngine();
  try {
    for (const network of ['new', 'existing'] as const) {
      const template = buildTemplate({ network });
      for (const format of ['json', 'yaml'] as const) {
        const file = join(dir, `ferry-${network}.${format}`);
        writeFileSync(file, renderTemplate(template, format));
        const report = engine.validateStandard(new TemplateFile(file));
        const errors = report.diagnostics.filter((d) => ['ERROR', 'FATAL'].includes(d.severity));
        const warnings = report.diagnostics.filter((d) => d.severity === 'WARN');
        const passed = report.status === 'OK' && errors.length === 0;
        ok &&= passed;
        say(
          `   ${mark(passed)} ${network === 'new' ? 'new VPC     ' : 'existing VPC'} ${format.padEnd(4)} ` +
            `${Object.keys(template.Resources).length} resources, ${errors.length} errors, ${warnings.length} warnings`,
        );
        for (const e of errors)
          say(`       ${e.ruleId} ${e.entity?.logicalId ?? ''}: ${e.message}`);
      }
    }
  } finally {
    engine.free();
    rmSync(dir, { recursive: true, force: true });
  }

  for (const network of ['new', 'existing'] as const) {
    const stack = deploy(network);
    const v = stack.values;
    say();
    say(
      `${network === 'new' ? 2 : 3}. Deploy on paper (${network === 'new' ? 'new VPC, all buckets' : `existing VPC ${v.VpcId}, buckets ${v.WorkerBuckets?.join(', ')}`}) ` +
        `for workspace ${v.WorkspaceId} in ${v.AccountId}/${v.Region}, then evaluate with @ferry/iam`,
    );
    const allowed = assessStack(stack, registryCases(v));
    const denied = assessStack(stack, deniedCases(v));
    const trust = assessTrust(stack, v, trustCases(v));
    for (const role of CUSTOMER_ROLES) {
      const a = allowed.filter((r) => r.role === role);
      const d = denied.filter((r) => r.role === role);
      const t = trust.filter((r) => r.role === role);
      const passed = [...a, ...d, ...t].every((r) => r.ok);
      ok &&= passed;
      say(
        `   ${mark(passed)} ${role.padEnd(13)} registry requests allowed ${a.filter((r) => r.ok).length}/${a.length}, ` +
          `must-deny samples denied ${d.filter((r) => r.ok).length}/${d.length}, trust checks ${t.filter((r) => r.ok).length}/${t.length}`,
      );
      for (const r of [...a, ...d, ...t].filter((x) => !x.ok)) {
        say(
          `       ✗ ${r.role} ${r.action}: expected ${r.expect}, got ${r.decision} — ${r.reason}`,
        );
      }
    }
    if (network === 'new') {
      say();
      say('   Representative decisions:');
      const picks = [
        allowed.find((r) => r.role === 'UserInitiated' && r.action === 'ec2:RunInstances'),
        allowed.find((r) => r.role === 'Unattended' && r.action === 'ec2:TerminateInstances'),
        allowed.find((r) => r.role === 'Worker' && r.action === 's3:GetObject'),
        ...denied,
      ].filter((r): r is AssessmentResult => r !== undefined);
      for (const r of picks) {
        const context = Object.entries(r.context)
          .map(([k, x]) => `${k}=${String(x)}`)
          .join(', ');
        const detail = r.expect === 'Denied' ? ` (${r.why})` : context ? ` (${context})` : '';
        say(`   ${mark(r.ok)} ${describeRequest(r)} → ${r.decision}${detail}`);
      }
      say('   Trust:');
      for (const r of trust.filter((x) => x.role === 'UserInitiated' || x.caller === 'ec2')) {
        say(
          `   ${mark(r.ok)} ${r.role.padEnd(13)} ${r.action} by ${r.caller}: ${r.why} → ${r.decision}`,
        );
      }
    }
  }
  say();
  say(ok ? 'All checks passed.' : 'Some checks FAILED (see ✗ above).');
  return ok;
}
