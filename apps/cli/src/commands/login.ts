/**
 * `ferry login`, `ferry logout`, `ferry whoami`: a profile holds a control plane's URL and a
 * personal access token. With an email and password, login signs in, mints a token for this
 * machine (all the user's permissions, still limited by their roles) and signs out again;
 * with `--token`/`--token-stdin` it checks and keeps the given token; with `--browser` the user
 * approves a code in the dashboard (the device flow, `device-login.ts`). Logout revokes a token
 * login minted and forgets the profile's credentials.
 */
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { createFerryClient } from '@ferry/api';
import { PERMISSIONS } from '@ferry/core';
import { CliError, type CliCommand, type CliContext } from '../cli-command.ts';
import {
  apiAction,
  parseUrl,
  printJson,
  reportError,
  splitAction,
  withApiOptions,
} from '../api-connection.ts';
import { askOrFail, readStdinLine } from '../prompt.ts';
import { configPath, profileName, readProfile, writeProfile, type Profile } from '../profiles.ts';
import { withPasswordSession } from '../session-login.ts';
import { deviceLogin } from '../device-login.ts';
import { integerAtLeast } from './compute-flags.ts';

interface LoginFlags {
  url?: string;
  email?: string;
  passwordStdin?: boolean;
  token?: string;
  tokenStdin?: boolean;
  browser?: boolean;
  device?: boolean;
  open?: boolean;
  profile?: string;
  expiresInDays: number;
  json?: boolean;
}

const LOGIN_TOKEN_DAYS = 90;

async function login(context: CliContext, flags: LoginFlags): Promise<void> {
  const profile = profileName(flags.profile, context.env);
  const saved = readProfile(profile, context.env);
  const rawUrl = flags.url ?? (context.env.FERRY_URL || saved.url);
  if (rawUrl === undefined || rawUrl === '')
    throw new CliError('usage', 'missing --url (or FERRY_URL): the control plane to sign in to');
  const url = parseUrl(rawUrl, flags.url !== undefined ? '--url' : 'FERRY_URL');
  if (flags.passwordStdin === true && flags.tokenStdin === true)
    throw new CliError('usage', '--password-stdin and --token-stdin both read stdin: give one');

  const browser = flags.browser === true || flags.device === true;
  if (browser) {
    const other = (
      [
        ['--email', flags.email],
        ['--password-stdin', flags.passwordStdin],
        ['--token', flags.token],
        ['--token-stdin', flags.tokenStdin],
      ] as const
    ).find(([, v]) => v !== undefined);
    if (other !== undefined)
      throw new CliError('usage', `--browser signs in through the dashboard: drop ${other[0]}`);
  }

  let next: Profile;
  const given =
    flags.token ??
    (flags.tokenStdin === true ? await readStdinLine(context, '--token-stdin') : undefined);
  if (browser) {
    const granted = await deviceLogin(context, url, {
      expiresInDays: flags.expiresInDays,
      open: flags.open,
    });
    const me = await createFerryClient({ baseUrl: url, token: granted.token }).call('auth.me');
    next = {
      ...keepDefaults(saved, url),
      url,
      token: granted.token,
      tokenId: granted.tokenId,
      email: me.kind === 'user' ? me.email : me.serviceAccountId,
    };
  } else if (given !== undefined) {
    const me = await createFerryClient({ baseUrl: url, token: given })
      .call('auth.me')
      .catch((error: unknown) => {
        throw refusedOr(error);
      });
    next = {
      ...keepDefaults(saved, url),
      url,
      token: given,
      email: me.kind === 'user' ? me.email : `service account ${me.serviceAccountId}`,
    };
  } else {
    const email =
      flags.email ??
      (context.env.FERRY_EMAIL || saved.email || (await askOrFail(context, 'Email: ', '--email')));
    const password =
      flags.passwordStdin === true
        ? await readStdinLine(context, '--password-stdin')
        : await askOrFail(context, `Password for ${email}: `, '--password-stdin', { hidden: true });
    const created = await withPasswordSession(url, email, password, (session) =>
      session.call('tokens.create', {
        body: {
          name: `ferry CLI on ${hostname()}`.slice(0, 64).trim(),
          scopes: [...PERMISSIONS],
          expiresInDays: flags.expiresInDays,
        },
      }),
    );
    next = {
      ...keepDefaults(saved, url),
      url,
      token: created.secret,
      tokenId: created.token.id,
      email,
    };
  }
  // The token login minted before is no longer needed.
  if (saved.tokenId !== undefined && saved.token !== undefined && saved.url === url)
    await revokeOwn(url, saved.token, saved.tokenId);
  writeProfile(profile, next, context.env);
  if (flags.json === true)
    printJson(context, { profile, url, email: next.email, tokenId: next.tokenId ?? null });
  else
    context.io.stdout(
      `signed in to ${url} as ${next.email} (profile "${profile}", saved in ${configPath(context.env)})\n`,
    );
}

/** The saved org and workspace stay when signing in again to the same control plane. */
function keepDefaults(saved: Profile, url: string): Profile {
  if (saved.url !== url) return {};
  return {
    ...(saved.org !== undefined ? { org: saved.org } : {}),
    ...(saved.workspace !== undefined ? { workspace: saved.workspace } : {}),
  };
}

function refusedOr(error: unknown): unknown {
  if ((error as { status?: number }).status === 401)
    return new CliError(
      'token_refused',
      'the control plane refused the token (unknown, expired or revoked)',
    );
  return error;
}

async function revokeOwn(url: string, token: string, tokenId: string): Promise<void> {
  await createFerryClient({ baseUrl: url, token })
    .call('tokens.revoke', { params: { tokenId } })
    .catch(() => undefined); // already revoked, expired, or the server is gone: nothing to undo
}

function registerLogin(program: Command, context: CliContext) {
  program
    .command('login')
    .description(
      'Sign in to a control plane and save its URL and a personal access token in a profile (mode 0600 in your config directory). With an email and password (asked on a terminal, or --password-stdin), a token for this machine is created; with --browser, you approve a short code in the dashboard (where you may sign in any way the dashboard allows) and this machine gets the token; or keep a token you have (--token, --token-stdin).',
    )
    .option('--url <url>', 'control plane URL (env FERRY_URL; default: the profile’s)')
    .option('--email <email>', 'your email (env FERRY_EMAIL; asked on a terminal)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--token <token>', 'save this token instead of signing in with a password')
    .option('--token-stdin', 'read the token to save from the first line of stdin')
    .option(
      '--browser',
      'sign in through the dashboard: ferry prints a link and a code to approve there, then waits',
    )
    .option('--device', 'the same as --browser (the device-code flow, for machines without one)')
    .option('--no-open', 'with --browser: only print the link, do not offer to open it')
    .option(
      '--expires-in-days <days>',
      'lifetime of the token login creates',
      integerAtLeast(1),
      LOGIN_TOKEN_DAYS,
    )
    .option('--profile <name>', 'the profile to save (env FERRY_PROFILE; default "default")')
    .option('--json', 'print the result as JSON (for scripts)')
    .action(async (...all: unknown[]) => {
      const { flags } = splitAction<LoginFlags, []>(all);
      try {
        await login(context, flags);
      } catch (error) {
        reportError(context, error, {}, flags.url);
      }
    });
}

function registerLogout(program: Command, context: CliContext) {
  program
    .command('logout')
    .description(
      'Forget the profile’s token; a token `ferry login` created is revoked on the control plane first.',
    )
    .option('--profile <name>', 'the profile (env FERRY_PROFILE; default "default")')
    .option('--json', 'print the result as JSON (for scripts)')
    .action(async (...all: unknown[]) => {
      const { flags } = splitAction<{ profile?: string; json?: boolean }, []>(all);
      try {
        const profile = profileName(flags.profile, context.env);
        const saved = readProfile(profile, context.env);
        const revoked =
          saved.tokenId !== undefined && saved.token !== undefined && saved.url !== undefined;
        if (revoked) await revokeOwn(saved.url!, saved.token!, saved.tokenId!);
        const { token: _token, tokenId: _id, ...rest } = saved;
        writeProfile(profile, rest.url !== undefined ? rest : undefined, context.env);
        if (flags.json === true)
          printJson(context, { profile, signedOut: saved.token !== undefined, revoked });
        else
          context.io.stdout(
            saved.token === undefined
              ? `profile "${profile}" was not signed in\n`
              : `signed out of profile "${profile}"${revoked ? ' (its token revoked)' : ''}\n`,
          );
      } catch (error) {
        reportError(context, error);
      }
    });
}

function registerWhoami(program: Command, context: CliContext) {
  withApiOptions(
    program
      .command('whoami')
      .description('Who the token belongs to, its scopes, and the user’s organizations.'),
  ).action(
    apiAction(context, {}, async (api, flags) => {
      const me = await api.client.call('auth.me');
      const orgs = me.kind === 'user' ? (await api.client.call('users.me')).orgs : [];
      if (flags.json === true)
        return printJson(context, { ...me, orgs, url: api.url, profile: api.profile });
      const lines =
        me.kind === 'user'
          ? [
              `${me.email}${me.instanceAdmin ? ' (instance admin)' : ''}`,
              `  user:     ${me.userId}`,
              `  via:      ${me.via}${me.scopes !== null ? `, scopes ${me.scopes.join(' ')}` : ''}`,
              `  orgs:     ${orgs.length === 0 ? '-' : orgs.map((o) => `${o.orgName} (${o.orgId}, ${o.role})`).join(', ')}`,
            ]
          : [
              `service account ${me.serviceAccountId}`,
              `  workspace: ${me.workspaceId} (org ${me.orgId})`,
              `  scopes:    ${me.scopes.join(' ')}`,
            ];
      context.io.stdout(
        [
          ...lines,
          `  control plane: ${api.url} (${api.origin.tokenSource ?? 'no token'})`,
          '',
        ].join('\n'),
      );
    }),
  );
}

export const loginCommand: CliCommand = {
  name: 'login',
  register(program, context) {
    registerLogin(program, context);
    registerLogout(program, context);
    registerWhoami(program, context);
  },
};
