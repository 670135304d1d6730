/**
 * `ferry connection prepare|create|test|list|show|delete|rotate-keys`: a workspace's data
 * connections. `prepare` reserves an external ID and prints the policies the data owner
 * copies; `create` saves after a passing test. Access keys (S3 only, not recommended) are
 * read from stdin, never from a flag, so they stay out of shell history and process lists.
 */
import type { Command } from 'commander';
import type { ConnectionTest, DataConnection } from '@ferry/api';
import type { CliCommand, CliContext } from '../cli-command.ts';
import { usageError } from '../cli-command.ts';
import { apiAction, printJson, withApiOptions, type ApiFlags } from '../api-connection.ts';
import { allPages } from '../paging.ts';
import { readStdinLine } from '../prompt.ts';
import { EXIT } from '../exit-codes.ts';
import { table } from './compute-format.ts';

interface TargetFlags extends ApiFlags {
  s3?: string;
  kinesis?: string;
  region?: string;
  writePrefix?: string;
}

interface AuthFlags extends TargetFlags {
  roleArn?: string;
  externalId?: string;
  accessKeyId?: string;
  secretAccessKeyStdin?: boolean;
}

/** `s3://bucket/prefix/` → bucket and prefix. */
export function parseS3Url(url: string): { bucket: string; prefix?: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (m === null) throw usageError(`--s3: expected s3://bucket/prefix/, got "${url}"`);
  return { bucket: m[1]!, ...(m[2] !== '' ? { prefix: m[2]! } : {}) };
}

function targetOf(flags: TargetFlags) {
  if ((flags.s3 === undefined) === (flags.kinesis === undefined))
    throw usageError(
      'give exactly one of --s3 s3://bucket/prefix/ or --kinesis <stream name or ARN>',
    );
  if (flags.region === undefined) throw usageError('missing --region (the bucket’s or stream’s)');
  if (flags.s3 !== undefined)
    return {
      type: 's3' as const,
      ...parseS3Url(flags.s3),
      ...(flags.writePrefix !== undefined ? { writePrefix: flags.writePrefix } : {}),
      region: flags.region,
    };
  return { type: 'kinesis' as const, stream: flags.kinesis!, region: flags.region };
}

async function authOf(context: CliContext, flags: AuthFlags) {
  if (flags.roleArn !== undefined) {
    if (flags.externalId === undefined)
      throw usageError('missing --external-id (the one `ferry connection prepare` printed)');
    return { kind: 'role' as const, roleArn: flags.roleArn, externalId: flags.externalId };
  }
  if (flags.accessKeyId !== undefined) {
    if (flags.secretAccessKeyStdin !== true)
      throw usageError(
        'access keys need --secret-access-key-stdin (the secret is read from stdin)',
      );
    context.io.stderr(
      'warning: access keys are not recommended; prefer --role-arn with the external ID from prepare\n',
    );
    return {
      kind: 'accessKeys' as const,
      accessKeyId: flags.accessKeyId,
      secretAccessKey: await readStdinLine(context, '--secret-access-key-stdin'),
    };
  }
  throw usageError(
    'give --role-arn and --external-id, or --access-key-id with --secret-access-key-stdin',
  );
}

function targetOptions(command: Command): Command {
  return command
    .option('--s3 <url>', 'an S3 location: s3://bucket/prefix/ (the prefix bounds what it reads)')
    .option('--write-prefix <prefix>', 'S3: where the connection may write, e.g. landed/')
    .option('--kinesis <stream>', 'a Kinesis stream: its name or ARN')
    .option('--region <region>', 'the bucket’s or stream’s region');
}

function authOptions(command: Command): Command {
  return command
    .option('--role-arn <arn>', 'the role the data owner created')
    .option('--external-id <id>', 'the external ID `prepare` reserved for it')
    .option('--access-key-id <id>', 'S3 only, not recommended: a long-term access key id')
    .option('--secret-access-key-stdin', 'read the secret access key from stdin');
}

function testText(test: ConnectionTest): string {
  const rows = test.checks.map((c) => [
    c.outcome.toUpperCase(),
    c.name,
    c.awsErrorCode ?? '',
    c.message,
  ]);
  const missing = test.checks
    .filter((c) => c.missingStatement !== null)
    .map((c) => `  ${c.name} needs this statement:\n  ${JSON.stringify(c.missingStatement)}\n`);
  return `${table(['RESULT', 'CHECK', 'AWS CODE', 'DETAIL'], rows)}${missing.join('')}${test.ok ? 'test passed\n' : 'test FAILED\n'}`;
}

function connectionText(c: DataConnection): string {
  const where =
    c.target.type === 's3'
      ? `s3://${c.target.bucket}/${c.target.prefix ?? ''}${c.target.writePrefix !== null ? ` (writes under ${c.target.writePrefix})` : ''}`
      : `kinesis ${c.target.streamArn ?? c.target.stream}`;
  const auth =
    c.auth.kind === 'role'
      ? `role ${c.auth.roleArn}`
      : `access keys ${c.auth.accessKeyIdHint} (not recommended)`;
  return [
    `connection "${c.name}" (${c.id})`,
    `  reads:  ${where} in ${c.target.region}`,
    `  auth:   ${auth}`,
    `  state:  ${c.state}${c.stateReason !== null ? ` — ${c.stateReason}` : ''}`,
    `  tested: ${c.lastTest?.testedAt ?? 'never'}`,
    '',
  ].join('\n');
}

function register(conn: Command, context: CliContext) {
  withApiOptions(
    targetOptions(
      conn
        .command('prepare')
        .argument('[name]', 'the connection’s name (names the suggested role)')
        .option('--account-id <id>', 'the data owner’s account (for a stream given by name)')
        .description(
          'Reserve an external ID and print the trust and permissions policies for the data owner to create the role with.',
        ),
    ),
    { workspace: true },
  ).action(
    apiAction<TargetFlags & { accountId?: string }, [string | undefined]>(
      context,
      { workspace: true },
      async (api, flags, name) => {
        const prepared = await api.client.call('connections.prepare', {
          params: { workspaceId: api.workspaceId },
          body: {
            target: targetOf(flags),
            ...(name !== undefined ? { name } : {}),
            ...(flags.accountId !== undefined ? { accountId: flags.accountId } : {}),
          },
        });
        if (flags.json === true) return printJson(context, prepared);
        const p = prepared.policies;
        context.io.stdout(
          [
            `external ID:       ${p.externalId}`,
            `platform principal: ${p.principalArn}`,
            '',
            'Trust policy:',
            JSON.stringify(p.trustPolicy, null, 2),
            '',
            'Permissions policy:',
            JSON.stringify(p.permissionsPolicy, null, 2),
            '',
            'Or run, as the data owner:',
            p.createRoleCommand,
            '',
            `Then: ferry connection create <name> --role-arn <arn> --external-id ${p.externalId} …`,
            '',
          ].join('\n'),
        );
      },
    ),
  );

  withApiOptions(
    authOptions(
      targetOptions(
        conn
          .command('test')
          .argument('[name]', 'a saved connection to re-test (else the flags describe a new one)')
          .description(
            'Test a connection: assume, the confused-deputy check, one call per permission.',
          ),
      ),
    ),
    { workspace: true },
  ).action(
    apiAction<AuthFlags, [string | undefined]>(
      context,
      { workspace: true },
      async (api, flags, name) => {
        const test =
          name !== undefined
            ? (
                await api.client.call('connections.retest', {
                  params: { workspaceId: api.workspaceId, connectionName: name },
                })
              ).lastTest!
            : await api.client.call('connections.test', {
                params: { workspaceId: api.workspaceId },
                body: { target: targetOf(flags), auth: await authOf(context, flags) },
              });
        if (flags.json === true) return printJson(context, test);
        context.io.stdout(testText(test));
        if (!test.ok) context.exitCode = EXIT.incomplete;
      },
    ),
  );

  withApiOptions(
    authOptions(
      targetOptions(
        conn
          .command('create')
          .argument('<name>', 'unique in the workspace, used in queries')
          .option('--description <text>', 'what it is')
          .option('--skip-test', 'save without a passing test (Unverified)')
          .description('Save a connection after a passing test.'),
      ),
    ),
    { workspace: true },
  ).action(
    apiAction<AuthFlags & { description?: string; skipTest?: boolean }, [string]>(
      context,
      { workspace: true },
      async (api, flags, name) => {
        const created = await api.client.call('connections.create', {
          params: { workspaceId: api.workspaceId },
          body: {
            name,
            target: targetOf(flags),
            auth: await authOf(context, flags),
            ...(flags.description !== undefined ? { description: flags.description } : {}),
            ...(flags.skipTest === true ? { skipTest: true } : {}),
          },
        });
        if (flags.json === true) return printJson(context, created);
        context.io.stdout(connectionText(created));
      },
    ),
  );

  withApiOptions(conn.command('list').description("List the workspace's connections."), {
    workspace: true,
  }).action(
    apiAction(context, { workspace: true }, async (api, flags) => {
      const items = await allPages((query) =>
        api.client.call('connections.list', { params: { workspaceId: api.workspaceId }, query }),
      );
      if (flags.json === true) return printJson(context, items);
      if (items.length === 0) return context.io.stdout('no connections\n');
      context.io.stdout(
        table(
          ['NAME', 'TYPE', 'TARGET', 'AUTH', 'STATE', 'TESTED'],
          items.map((c) => [
            c.name,
            c.target.type,
            c.target.type === 's3'
              ? `s3://${c.target.bucket}/${c.target.prefix ?? ''}`
              : c.target.stream,
            c.auth.kind === 'role' ? 'role' : 'access keys (not recommended)',
            c.state,
            c.lastTest?.testedAt ?? 'never',
          ]),
        ),
      );
    }),
  );

  withApiOptions(
    conn
      .command('show')
      .argument('<name>', 'the connection')
      .option('--policies', 'also print the policies to copy')
      .description('Show a connection, its last test and (with --policies) its policies.'),
    { workspace: true },
  ).action(
    apiAction<ApiFlags & { policies?: boolean }, [string]>(
      context,
      { workspace: true },
      async (api, flags, name) => {
        const c = await api.client.call('connections.get', {
          params: { workspaceId: api.workspaceId, connectionName: name },
        });
        if (flags.json === true) return printJson(context, c);
        context.io.stdout(connectionText(c));
        if (c.lastTest !== null) context.io.stdout(testText(c.lastTest));
        if (flags.policies === true) {
          if (c.policies.trustPolicy !== null)
            context.io.stdout(
              `Trust policy:\n${JSON.stringify(c.policies.trustPolicy, null, 2)}\n`,
            );
          context.io.stdout(
            `Permissions policy:\n${JSON.stringify(c.policies.permissionsPolicy, null, 2)}\n`,
          );
        }
      },
    ),
  );

  withApiOptions(
    conn
      .command('delete')
      .argument('<name>', 'the connection')
      .description('Delete a connection (stored keys are erased).'),
    { workspace: true },
  ).action(
    apiAction<ApiFlags, [string]>(context, { workspace: true }, async (api, flags, name) => {
      await api.client.call('connections.delete', {
        params: { workspaceId: api.workspaceId, connectionName: name },
      });
      if (flags.json === true) printJson(context, { deleted: name });
      else context.io.stdout(`connection "${name}" deleted\n`);
    }),
  );

  withApiOptions(
    conn
      .command('rotate-keys')
      .argument('<name>', 'an access-key connection')
      .requiredOption('--access-key-id <id>', 'the new access key id')
      .option('--secret-access-key-stdin', 'read the new secret access key from stdin')
      .option('--skip-test', 'replace without testing the new keys first')
      .description("Replace an access-key connection's keys (tested first)."),
    { workspace: true },
  ).action(
    apiAction<
      ApiFlags & { accessKeyId: string; secretAccessKeyStdin?: boolean; skipTest?: boolean },
      [string]
    >(context, { workspace: true }, async (api, flags, name) => {
      if (flags.secretAccessKeyStdin !== true)
        throw usageError('missing --secret-access-key-stdin (the secret is read from stdin)');
      const rotated = await api.client.call('connections.rotateKeys', {
        params: { workspaceId: api.workspaceId, connectionName: name },
        body: {
          accessKeyId: flags.accessKeyId,
          secretAccessKey: await readStdinLine(context, '--secret-access-key-stdin'),
          ...(flags.skipTest === true ? { skipTest: true } : {}),
        },
      });
      if (flags.json === true) return printJson(context, rotated);
      context.io.stdout(connectionText(rotated));
    }),
  );
}

export const connectionCommand: CliCommand = {
  name: 'connection',
  register(program, context) {
    const conn = program
      .command('connection')
      .description(
        'Data connections of a workspace: S3 buckets and Kinesis streams in any account, through a role with an external ID.',
      );
    register(conn, context);
  },
};
