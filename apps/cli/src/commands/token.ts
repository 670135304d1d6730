/**
 * `ferry token create|list|revoke`: personal access tokens. Creating one needs the user's
 * password (a token cannot mint tokens); the secret is printed once.
 */
import type { Command } from 'commander';
import type { Permission } from '@ferry/core';
import { CliError, type CliCommand, type CliContext } from '../cli-command.ts';
import { apiAction, printJson, withApiOptions, type ApiFlags } from '../api-connection.ts';
import { allPages } from '../paging.ts';
import { askOrFail, readStdinLine } from '../prompt.ts';
import { readProfile } from '../profiles.ts';
import { withPasswordSession } from '../session-login.ts';
import { integerAtLeast } from './compute-flags.ts';
import { table } from './compute-format.ts';
import { collectScopes } from './scopes-flag.ts';

interface CreateFlags extends ApiFlags {
  scope?: Permission[];
  expiresInDays: number;
  email?: string;
  passwordStdin?: boolean;
}

function registerCreate(token: Command, context: CliContext) {
  withApiOptions(
    token
      .command('create')
      .argument('<name>', 'what the token is for, e.g. "nightly job"')
      .description(
        'Create a personal access token with the given scopes; its secret is printed once. Needs your password (asked on a terminal, or --password-stdin): a token cannot create tokens.',
      )
      .requiredOption(
        '--scope <scopes>',
        'permissions it may use, comma-separated or repeated',
        collectScopes,
      )
      .option('--expires-in-days <days>', 'lifetime, 1-365', integerAtLeast(1), 30)
      .option('--email <email>', 'your email (default: the profile’s)')
      .option('--password-stdin', 'read your password from the first line of stdin'),
    {},
  ).action(
    apiAction<CreateFlags, [string]>(context, { token: false }, async (api, flags, name) => {
      const email =
        flags.email ??
        readProfile(api.profile, context.env).email ??
        (await askOrFail(context, 'Email: ', '--email'));
      const password =
        flags.passwordStdin === true
          ? await readStdinLine(context, '--password-stdin')
          : await askOrFail(context, `Password for ${email}: `, '--password-stdin', {
              hidden: true,
            });
      const created = await withPasswordSession(api.url, email, password, (session) =>
        session.call('tokens.create', {
          body: { name, scopes: flags.scope ?? [], expiresInDays: flags.expiresInDays },
        }),
      );
      if (flags.json === true) return printJson(context, created);
      context.io.stdout(
        [
          `token ${created.token.id} "${created.token.name}" expires ${created.token.expiresAt}`,
          `  scopes: ${created.token.scopes.join(' ')}`,
          `  secret (shown once, keep it safe): ${created.secret}`,
          '',
        ].join('\n'),
      );
    }),
  );
}

function registerList(token: Command, context: CliContext) {
  withApiOptions(token.command('list').description('List your personal access tokens.')).action(
    apiAction(context, {}, async (api, flags) => {
      const tokens = await allPages((query) => api.client.call('tokens.list', { query }));
      if (flags.json === true) return printJson(context, tokens);
      if (tokens.length === 0) return context.io.stdout('no tokens\n');
      context.io.stdout(
        table(
          ['ID', 'NAME', 'SCOPES', 'EXPIRES', 'LAST USED', 'STATE'],
          tokens.map((t) => [
            t.id,
            t.name,
            t.scopes.length > 3
              ? `${t.scopes.slice(0, 3).join(',')},… (${t.scopes.length})`
              : t.scopes.join(','),
            t.expiresAt,
            t.lastUsedAt ?? '-',
            t.revokedAt !== null ? 'revoked' : 'active',
          ]),
        ),
      );
    }),
  );
}

function registerRevoke(token: Command, context: CliContext) {
  withApiOptions(
    token
      .command('revoke')
      .argument('<tokenId>', 'the token (tok_…)')
      .description('Revoke one of your personal access tokens; it stops working at once.'),
  ).action(
    apiAction<ApiFlags, [string]>(context, {}, async (api, flags, tokenId) => {
      if (tokenId === readProfile(api.profile, context.env).tokenId)
        throw new CliError('usage', `${tokenId} is this profile's own token: use \`ferry logout\``);
      await api.client.call('tokens.revoke', { params: { tokenId } });
      if (flags.json === true) printJson(context, { revoked: tokenId });
      else context.io.stdout(`token ${tokenId} revoked\n`);
    }),
  );
}

export const tokenCommand: CliCommand = {
  name: 'token',
  register(program, context) {
    const token = program
      .command('token')
      .description('Personal access tokens: create, list, revoke.');
    registerCreate(token, context);
    registerList(token, context);
    registerRevoke(token, context);
  },
};
