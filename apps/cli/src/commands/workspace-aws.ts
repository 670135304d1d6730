/**
 * `ferry workspace aws connect|status|verify|update`: connecting a workspace to an AWS
 * account. `connect` prints the quick-create link and the ops team's setup link, offers to
 * open the browser (on a terminal only), then follows the stack's stages — Network →
 * Security → Policies → Deploying → Connected — by long-poll, with the elapsed time, until
 * the workspace is Active or the setup Failed, and prints the verification checks.
 */
import { Option, type Command } from 'commander';
import type { CallOutput } from '@ferry/api';
import { PHONE_HOME_STAGES } from '@ferry/aws-template';
import { CliError, type CliContext } from '../cli-command.ts';
import {
  apiAction,
  printJson,
  withApiOptions,
  type ApiConnection,
  type ApiFlags,
} from '../api-connection.ts';
import { confirm } from '../prompt.ts';
import { integerAtLeast } from './compute-flags.ts';
import { table } from './compute-format.ts';

type AwsSetup = CallOutput<'awsSetup.get'>;

/** Where a setup ends: the long-poll stops waiting there. */
const SETTLED = new Set(['active', 'degraded', 'failed', 'disconnected']);

interface ConnectFlags extends ApiFlags {
  region: string;
  network: 'new' | 'existing';
  vpc?: string;
  subnets?: string;
  allowedClientCidr: string;
  workerBuckets?: string;
  open?: boolean;
  wait: boolean;
  timeout: number;
}

const list = (s: string | undefined) =>
  s === undefined
    ? []
    : s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');

function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The verification checks as a table, then the fix of each failed one. */
export function formatChecks(checks: AwsSetup['checks']): string {
  if (checks.length === 0) return 'no verification checks yet\n';
  let out = table(
    ['CHECK', 'ROLE', 'RESULT', 'DETAIL'],
    checks.map((c) => [c.name, c.role ?? '-', c.outcome, c.message]),
  );
  for (const c of checks.filter((x) => x.outcome === 'fail' && x.fixHint !== null))
    out += `  fix ${c.name}: ${c.fixHint}\n`;
  return out;
}

/** The setup's status, stages and checks as text. */
export function formatSetup(s: AwsSetup): string {
  const lines = [
    `workspace ${s.workspaceId}: AWS ${s.status}${s.reason !== null ? ` (${s.reason})` : ''}; workspace ${s.workspaceState}`,
    `  region:      ${s.region}`,
    `  account:     ${s.accountId ?? '-'}`,
    `  external ID: ${s.externalId}`,
    `  stages:      ${PHONE_HOME_STAGES.map((st) => `${st} ${s.stages.some((x) => x.stage === st && x.requestType === 'Create') ? '✓' : '·'}`).join(' → ')}`,
    `  verified:    ${s.verifiedAt ?? '-'}`,
    '',
  ];
  return lines.join('\n') + formatChecks(s.checks);
}

/** Follows the setup until it settles (or the timeout), printing each new stage. */
async function follow(
  context: CliContext,
  api: ApiConnection,
  start: AwsSetup,
  options: { timeoutMs: number; json: boolean },
): Promise<AwsSetup> {
  const began = Date.now();
  const say = (text: string) => {
    if (!options.json)
      context.io.stdout(`  [${elapsed(Date.now() - began).padStart(5)}] ${text}\n`);
  };
  const seen = new Set<string>();
  let status = '';
  let setup = start;
  const show = (s: AwsSetup) => {
    for (const st of s.stages) {
      const key = `${st.stage}/${st.requestType}`;
      if (seen.has(key)) continue;
      seen.add(key);
      say(`${st.stage}${st.requestType !== 'Create' ? ` (${st.requestType})` : ''} ✓`);
    }
    if (s.status !== status) {
      status = s.status;
      if (s.status !== 'pending') say(`${s.status}${s.reason !== null ? `: ${s.reason}` : ''}`);
    }
  };
  if (!options.json)
    context.io.stdout(
      `waiting for the stack: ${PHONE_HOME_STAGES.join(' → ')}, then verification (Ctrl-C stops waiting; the setup goes on)\n`,
    );
  show(setup);
  while (!SETTLED.has(setup.status)) {
    const left = options.timeoutMs - (Date.now() - began);
    if (left <= 0)
      throw new CliError(
        'wait_timeout',
        `still ${setup.status} after ${elapsed(options.timeoutMs)}: \`ferry workspace aws status\` shows where it is`,
      );
    setup = await api.client.call('awsSetup.get', {
      params: { workspaceId: api.workspaceId },
      query: {
        after: setup.revision,
        waitSeconds: Math.max(1, Math.min(30, Math.ceil(left / 1000))),
      },
    });
    show(setup);
  }
  return setup;
}

/** Prints the settled setup (or its JSON) and fails unless it is active. */
function finish(context: CliContext, setup: AwsSetup, json: boolean, extra: object = {}): void {
  if (json) printJson(context, { ...extra, ...setup });
  else context.io.stdout(`\n${formatChecks(setup.checks)}`);
  if (setup.status !== 'active')
    throw new CliError(
      'setup_failed',
      `the AWS connection is ${setup.status}${setup.reason !== null ? `: ${setup.reason}` : ''}; fix what the checks say, then \`ferry workspace aws verify\``,
    );
  if (!json) context.io.stdout(`workspace ${setup.workspaceId} is connected and Active\n`);
}

function registerConnect(aws: Command, context: CliContext) {
  withApiOptions(
    aws
      .command('connect')
      .description(
        'Connect the workspace to an AWS account: prints the CloudFormation quick-create link and a setup link for your ops team, then follows the stack (Network → Security → Policies → Deploying → Connected) until the workspace is Active, and prints the verification checks.',
      )
      .requiredOption('--region <region>', 'the AWS region of the stack, e.g. eu-west-1')
      .requiredOption(
        '--allowed-client-cidr <cidr>',
        'IPv4 range that may reach the clusters, e.g. 203.0.113.0/24',
      )
      .addOption(
        new Option('--network <kind>', 'a new VPC, or an existing one (--vpc, --subnets)')
          .choices(['new', 'existing'])
          .default('new'),
      )
      .option('--vpc <id>', 'with --network existing: the VPC (vpc-…)')
      .option('--subnets <ids>', 'with --network existing: subnets, comma-separated (subnet-…)')
      .option('--worker-buckets <names>', 'S3 buckets the workers may use, comma-separated')
      .option('--open', 'open the quick-create link in the browser without asking')
      .option('--no-open', 'do not offer to open the browser')
      .option('--no-wait', 'print the links and return')
      .option('--timeout <seconds>', 'give up waiting after this long', integerAtLeast(1), 1800),
    { workspace: true },
  ).action(
    apiAction<ConnectFlags, []>(context, { workspace: true }, async (api, flags) => {
      const json = flags.json === true;
      const network =
        flags.network === 'existing'
          ? { kind: 'existing' as const, vpcId: flags.vpc ?? '', subnetIds: list(flags.subnets) }
          : { kind: 'new' as const };
      if (flags.network === 'new' && (flags.vpc !== undefined || flags.subnets !== undefined))
        throw new CliError('usage', '--vpc and --subnets go with --network existing');
      if (flags.network === 'existing' && (flags.vpc === undefined || flags.subnets === undefined))
        throw new CliError('usage', '--network existing needs --vpc and --subnets');
      const started = await api.client.call('awsSetup.start', {
        params: { workspaceId: api.workspaceId },
        body: {
          region: flags.region,
          network,
          allowedClientCidr: flags.allowedClientCidr,
          workerBuckets: list(flags.workerBuckets),
        },
      });
      const { instructions: i } = started;
      if (!json)
        context.io.stdout(
          [
            `connect workspace ${api.workspaceId} to AWS (region ${i.region}, stack ${i.stackName})`,
            '',
            '  1. deploy the stack in the AWS console (quick-create link):',
            `     ${i.quickCreateUrl}`,
            `  or give your ops team this setup link (no sign-in needed; expires ${started.setupLinkExpiresAt}):`,
            `     ${started.setupLink}`,
            '  or with the AWS CLI:',
            `     ${i.createStackCommand}`,
            '',
          ].join('\n'),
        );
      const open =
        flags.open ??
        (await confirm(context, 'Open the quick-create link in your browser?', false));
      if (flags.open !== false && open && context.io.openUrl !== undefined) {
        await context.io.openUrl(i.quickCreateUrl).catch((error: unknown) => {
          context.io.stderr(
            `ferry: could not open a browser (${(error as Error).message}); open the link yourself\n`,
          );
        });
      }
      const { instructions: _i, setupLink, setupLinkExpiresAt, ...setup } = started;
      if (!flags.wait) {
        if (json) printJson(context, started);
        else context.io.stdout('follow it with: ferry workspace aws status\n');
        return;
      }
      const settled = await follow(context, api, setup, { timeoutMs: flags.timeout * 1000, json });
      finish(context, settled, json, { instructions: i, setupLink, setupLinkExpiresAt });
    }),
  );
}

function registerStatus(aws: Command, context: CliContext) {
  withApiOptions(
    aws
      .command('status')
      .description('Show the AWS connection: status, stages received, verification checks.')
      .option('--wait', 'follow it until Active or Failed')
      .option(
        '--timeout <seconds>',
        'with --wait, give up after this long',
        integerAtLeast(1),
        1800,
      ),
    { workspace: true },
  ).action(
    apiAction<ApiFlags & { wait?: boolean; timeout: number }, []>(
      context,
      { workspace: true },
      async (api, flags) => {
        const setup = await api.client.call('awsSetup.get', {
          params: { workspaceId: api.workspaceId },
        });
        if (flags.wait === true) {
          const settled = await follow(context, api, setup, {
            timeoutMs: flags.timeout * 1000,
            json: flags.json === true,
          });
          return finish(context, settled, flags.json === true);
        }
        if (flags.json === true) printJson(context, setup);
        else context.io.stdout(formatSetup(setup));
      },
    ),
  );
}

function registerVerify(aws: Command, context: CliContext) {
  withApiOptions(
    aws
      .command('verify')
      .description(
        'Verify the AWS connection now: each role can be assumed with the external ID, holds its permissions, and is denied what it must not do.',
      ),
    { workspace: true },
  ).action(
    apiAction(context, { workspace: true }, async (api, flags) => {
      const setup = await api.client.call('awsSetup.verify', {
        params: { workspaceId: api.workspaceId },
      });
      finish(context, setup, flags.json === true);
    }),
  );
}

function registerUpdate(aws: Command, context: CliContext) {
  withApiOptions(
    aws
      .command('update')
      .description(
        'Whether a newer template is available for the workspace’s stack: the permissions and resources it changes, and how to update.',
      ),
    { workspace: true },
  ).action(
    apiAction(context, { workspace: true }, async (api, flags) => {
      const u = await api.client.call('awsSetup.update', {
        params: { workspaceId: api.workspaceId },
      });
      if (flags.json === true) return printJson(context, u);
      if (u.upToDate) {
        context.io.stdout(`stack ${u.stackName} is up to date (template ${u.deployedVersion})\n`);
        return;
      }
      const out = [
        `stack ${u.stackName}: template ${u.deployedVersion} → ${u.latestVersion}`,
        '',
        'permission changes:',
        u.iamChanges.text.trimEnd() === '' ? '  none' : u.iamChanges.text.trimEnd(),
        '',
        'resource changes:',
        ...(u.resourceChanges.length === 0
          ? ['  none']
          : u.resourceChanges.map(
              (r) => `  ${r.change.padEnd(8)} ${r.logicalId} (${r.resourceType})`,
            )),
        '',
        ...(u.updateUrl !== null ? ['update in the AWS console:', `  ${u.updateUrl}`] : []),
        ...(u.updateStackCommand !== null
          ? ['or with the AWS CLI:', `  ${u.updateStackCommand}`]
          : []),
        '',
      ];
      context.io.stdout(out.join('\n'));
    }),
  );
}

/** Adds `aws connect|status|verify|update` under `ferry workspace`. */
export function registerWorkspaceAws(workspace: Command, context: CliContext): void {
  const aws = workspace
    .command('aws')
    .description(
      'Connect the workspace to AWS and check the connection: connect, status, verify, update.',
    );
  registerConnect(aws, context);
  registerStatus(aws, context);
  registerVerify(aws, context);
  registerUpdate(aws, context);
}
