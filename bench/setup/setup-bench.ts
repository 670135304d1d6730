/**
 * The setup benchmark: how long ferry takes from the customer's stack finishing to the
 * workspace Active (phone-home, role verification, activation), with no IAM propagation
 * delay. localcloud and the control plane run in one process, so their clocks are one:
 * the stack's last resource event (DescribeStackEvents) and the stack's own completion are
 * the same-run baselines; the workspace's Active is seen through the setup long-poll.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import { startConnectedWorkspace } from '../../test/e2e/fixtures/connected-workspace.ts';

/** One workspace's setup. */
export interface SetupRun {
  /** From the last resource's CREATE_COMPLETE to the stack's own CREATE_COMPLETE. */
  readonly stackCompleteMs: number;
  /** From the last resource's CREATE_COMPLETE to the workspace seen Active. */
  readonly activeMs: number;
  /** From the last resource to the phone-home's Connected stored (the stack's notification). */
  readonly connectedMs: number;
  /** From the last resource to the verification's checks starting (the job picked up). */
  readonly checksStartedMs: number;
}

export interface SetupBenchResult {
  readonly runs: readonly SetupRun[];
  readonly medianActiveMs: number;
  readonly medianStackCompleteMs: number;
  readonly medianConnectedMs: number;
  readonly medianChecksStartedMs: number;
}

/** The issue's target: ≤ 5 s from the stack's last resource to Active. */
export const TARGET_MS = 5000;

interface SetupView {
  workspaceState: string;
  status: string;
  reason: string | null;
  revision: string;
  instructions: {
    stackName: string;
    templateUrl: string;
    parameters: { ParameterKey: string; ParameterValue: string }[];
  };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] ?? 0) : 0;
};

/** Runs `runs` setups one after another; everything it starts is stopped before it returns. */
export async function runSetupBench(options: {
  runs: number;
  log?: (line: string) => void;
}): Promise<SetupBenchResult> {
  const log = options.log ?? (() => {});
  const fx = await startConnectedWorkspace({});
  const cfn = new CloudFormationClient(fx.customerConfig());
  try {
    const must = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fx.api<T>(method, path, body);
      if (res.status !== 200 && res.status !== 201) {
        throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      }
      return res.body;
    };
    const runs: SetupRun[] = [];
    for (let n = 1; n <= options.runs; n++) {
      const { id } = await must<{ id: string }>('POST', `/api/v1/orgs/${fx.orgId}/workspaces`, {
        name: `setup-bench-${n}`,
      });
      const setup = await must<SetupView>('POST', `/api/v1/workspaces/${id}/aws-setup`, {
        region: 'us-east-1',
        network: { kind: 'new' },
        allowedClientCidr: '127.0.0.0/8',
        workerBuckets: [`customer-data-${fx.customer.accountId}`],
      });
      const stackName = setup.instructions.stackName;
      await cfn.send(
        new CreateStackCommand({
          StackName: stackName,
          TemplateURL: setup.instructions.templateUrl,
          Parameters: setup.instructions.parameters,
          Capabilities: ['CAPABILITY_NAMED_IAM'],
        }),
      );
      let view = await must<SetupView>('GET', `/api/v1/workspaces/${id}/aws-setup`);
      const deadline = Date.now() + 600_000;
      while (view.workspaceState !== 'Active') {
        if (view.status === 'failed') throw new Error(`setup ${n} failed: ${view.reason}`);
        if (Date.now() > deadline) throw new Error(`setup ${n} did not become Active`);
        view = await must<SetupView>(
          'GET',
          `/api/v1/workspaces/${id}/aws-setup?after=${view.revision}&waitSeconds=10`,
        );
      }
      const activeAt = Date.now();
      const events: StackEvent[] = [];
      let token: string | undefined;
      do {
        const page = await cfn.send(
          new DescribeStackEventsCommand({ StackName: stackName, NextToken: token }),
        );
        events.push(...(page.StackEvents ?? []));
        token = page.NextToken;
      } while (token);
      const complete = events.filter((e) => e.ResourceStatus === 'CREATE_COMPLETE');
      const time = (e: StackEvent) => e.Timestamp?.getTime() ?? 0;
      const lastResource = Math.max(
        ...complete.filter((e) => e.ResourceType !== 'AWS::CloudFormation::Stack').map(time),
      );
      const stackDone = Math.max(
        ...complete.filter((e) => e.ResourceType === 'AWS::CloudFormation::Stack').map(time),
      );
      if (!Number.isFinite(lastResource) || !Number.isFinite(stackDone)) {
        throw new Error(`setup ${n}: the stack's events show no completion`);
      }
      const row = await fx.resources.db
        .selectFrom('aws_setups')
        .select(['connected_at', 'verified_at'])
        .where('workspace_id', '=', id)
        .executeTakeFirstOrThrow();
      const at = (d: Date | string | null) => (d === null ? NaN : new Date(d).getTime());
      const run: SetupRun = {
        stackCompleteMs: stackDone - lastResource,
        activeMs: activeAt - lastResource,
        connectedMs: at(row.connected_at) - lastResource,
        checksStartedMs: at(row.verified_at) - lastResource,
      };
      runs.push(run);
      log(
        `setup ${n}: Connected +${run.connectedMs} ms, checks started +${run.checksStartedMs} ms, Active +${run.activeMs} ms after the last resource`,
      );
    }
    return {
      runs,
      medianActiveMs: median(runs.map((r) => r.activeMs)),
      medianStackCompleteMs: median(runs.map((r) => r.stackCompleteMs)),
      medianConnectedMs: median(runs.map((r) => r.connectedMs)),
      medianChecksStartedMs: median(runs.map((r) => r.checksStartedMs)),
    };
  } finally {
    cfn.destroy();
    await fx.stop();
  }
}

/** The result as printed and written to docs/benchmarks.md. */
export function formatSetupBench(r: SetupBenchResult): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const ferry = r.medianActiveMs - r.medianStackCompleteMs;
  return [
    `runs: ${r.runs.length}; times from the stack's last resource CREATE_COMPLETE (median)`,
    `  stack CREATE_COMPLETE (CloudFormation's own, baseline): ${s(r.medianStackCompleteMs)}`,
    `  workspace Active:                                        ${s(r.medianActiveMs)}`,
    `  ferry's share (Active − stack complete):                 ${s(ferry)}`,
    `    of which: phone-home Connected at ${s(r.medianConnectedMs)}, verification's checks started at ${s(r.medianChecksStartedMs)}, checks and activation ${s(r.medianActiveMs - r.medianChecksStartedMs)}`,
    `  per run: ${r.runs.map((x) => s(x.activeMs)).join(', ')}`,
    `target: Active ≤ ${s(TARGET_MS)} after the last resource — ${
      r.medianActiveMs <= TARGET_MS ? 'met' : `missed by ${s(r.medianActiveMs - TARGET_MS)}`
    }`,
  ].join('\n');
}
