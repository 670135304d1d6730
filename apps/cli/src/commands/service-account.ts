/**
 * `ferry service-account create|list|revoke`: a workspace's machine identities. The client
 * secret is printed once; exchange it for an access token with the client-credentials grant.
 */
import type { Command } from 'commander';
import type { Permission } from '@ferry/core';
import type { CliCommand, CliContext } from '../cli-command.ts';
import { apiAction, printJson, withApiOptions, type ApiFlags } from '../api-connection.ts';
import { allPages } from '../paging.ts';
import { table } from './compute-format.ts';
import { collectScopes } from './scopes-flag.ts';

function registerCreate(sa: Command, context: CliContext) {
  withApiOptions(
    sa
      .command('create')
      .argument('<name>', 'what it is for, e.g. "etl"')
      .description(
        'Create a service account in the workspace; prints its client id and secret (shown once).',
      )
      .option(
        '--scope <scopes>',
        'permissions it may use, comma-separated or repeated (default: all a service account may have)',
        collectScopes,
      ),
    { workspace: true },
  ).action(
    apiAction<ApiFlags & { scope?: Permission[] }, [string]>(
      context,
      { workspace: true },
      async (api, flags, name) => {
        const created = await api.client.call('serviceAccounts.create', {
          params: { workspaceId: api.workspaceId },
          body: { name, ...(flags.scope !== undefined ? { scopes: flags.scope } : {}) },
        });
        if (flags.json === true) return printJson(context, created);
        context.io.stdout(
          [
            `service account ${created.serviceAccount.id} "${created.serviceAccount.name}" created`,
            `  scopes:        ${created.serviceAccount.scopes.join(' ')}`,
            `  client id:     ${created.clientId}`,
            `  client secret: ${created.clientSecret}`,
            '  the secret is shown once: store it now. Exchange it for an access token with',
            `  POST ${api.url}/api/v1/auth/token (grant_type=client_credentials).`,
            '',
          ].join('\n'),
        );
      },
    ),
  );
}

function registerList(sa: Command, context: CliContext) {
  withApiOptions(sa.command('list').description("List the workspace's service accounts."), {
    workspace: true,
  }).action(
    apiAction(context, { workspace: true }, async (api, flags) => {
      const items = await allPages((query) =>
        api.client.call('serviceAccounts.list', {
          params: { workspaceId: api.workspaceId },
          query,
        }),
      );
      if (flags.json === true) return printJson(context, items);
      if (items.length === 0) return context.io.stdout('no service accounts\n');
      context.io.stdout(
        table(
          ['ID', 'NAME', 'SCOPES', 'CREATED', 'STATE'],
          items.map((s) => [
            s.id,
            s.name,
            s.scopes.join(','),
            s.createdAt,
            s.revokedAt !== null ? 'revoked' : 'active',
          ]),
        ),
      );
    }),
  );
}

function registerRevoke(sa: Command, context: CliContext) {
  withApiOptions(
    sa
      .command('revoke')
      .argument('<serviceAccountId>', 'the service account (sa_…)')
      .description('Revoke a service account and every token issued to it.'),
    { workspace: true },
  ).action(
    apiAction<ApiFlags, [string]>(context, { workspace: true }, async (api, flags, id) => {
      await api.client.call('serviceAccounts.revoke', {
        params: { workspaceId: api.workspaceId, serviceAccountId: id },
      });
      if (flags.json === true) printJson(context, { revoked: id });
      else context.io.stdout(`service account ${id} revoked\n`);
    }),
  );
}

export const serviceAccountCommand: CliCommand = {
  name: 'service-account',
  register(program, context) {
    const sa = program
      .command('service-account')
      .description('Service accounts of a workspace: create (secret shown once), list, revoke.');
    registerCreate(sa, context);
    registerList(sa, context);
    registerRevoke(sa, context);
  },
};
