/**
 * `ferry org create|list|show|members|invite|use`: organizations, their members and
 * invitations. `use` saves an organization in the profile as the default `--org`. The
 * admin's commands (rename, delete, roles, invitations) are in org-admin.ts.
 */
import { Option, type Command } from 'commander';
import type { CliCommand, CliContext } from '../cli-command.ts';
import {
  apiAction,
  printJson,
  reportError,
  splitAction,
  withApiOptions,
  type ApiFlags,
} from '../api-connection.ts';
import { allPages } from '../paging.ts';
import { profileName, readProfile, writeProfile } from '../profiles.ts';
import { integerAtLeast } from './compute-flags.ts';
import { table } from './compute-format.ts';
import { registerOrgAdmin } from './org-admin.ts';

function registerCreate(org: Command, context: CliContext) {
  withApiOptions(
    org
      .command('create')
      .argument('<name>', 'the organization’s name')
      .description('Create an organization; you become its admin.'),
  ).action(
    apiAction<ApiFlags, [string]>(context, {}, async (api, flags, name) => {
      const created = await api.client.call('orgs.create', { body: { name } });
      if (flags.json === true) return printJson(context, created);
      context.io.stdout(
        `organization ${created.id} "${created.name}" created\n  next: ferry org use ${created.id}, then ferry workspace create <name>\n`,
      );
    }),
  );
}

function registerList(org: Command, context: CliContext) {
  withApiOptions(org.command('list').description('List the organizations you belong to.')).action(
    apiAction(context, {}, async (api, flags) => {
      const orgs = await allPages((query) => api.client.call('orgs.list', { query }));
      if (flags.json === true) return printJson(context, orgs);
      if (orgs.length === 0)
        return context.io.stdout('no organizations (create one: ferry org create <name>)\n');
      context.io.stdout(
        table(
          ['ID', 'NAME', 'ROLE', 'CREATED'],
          orgs.map((o) => [o.id, o.name, o.role ?? '-', o.createdAt]),
        ),
      );
    }),
  );
}

function registerShow(org: Command, context: CliContext) {
  withApiOptions(org.command('show').description('Show an organization and its workspaces.'), {
    org: true,
  }).action(
    apiAction(context, { org: true }, async (api, flags) => {
      const params = { orgId: api.orgId };
      const [o, workspaces] = await Promise.all([
        api.client.call('orgs.get', { params }),
        allPages((query) => api.client.call('workspaces.list', { params, query })),
      ]);
      if (flags.json === true) return printJson(context, { ...o, workspaces });
      context.io.stdout(
        [
          `organization ${o.id} "${o.name}"`,
          `  your role:  ${o.role ?? '-'}`,
          `  created:    ${o.createdAt}`,
          `  workspaces: ${workspaces.length === 0 ? '-' : workspaces.map((w) => `${w.name} (${w.id}, ${w.state})`).join(', ')}`,
          '',
        ].join('\n'),
      );
    }),
  );
}

function registerMembers(org: Command, context: CliContext) {
  withApiOptions(org.command('members').description('List the members of an organization.'), {
    org: true,
  }).action(
    apiAction(context, { org: true }, async (api, flags) => {
      const members = await allPages((query) =>
        api.client.call('orgs.members.list', { params: { orgId: api.orgId }, query }),
      );
      if (flags.json === true) return printJson(context, members);
      context.io.stdout(
        table(
          ['USER', 'EMAIL', 'NAME', 'ROLE', 'JOINED'],
          members.map((m) => [m.userId, m.email, m.name, m.role, m.joinedAt]),
        ),
      );
    }),
  );
}

function registerInvite(org: Command, context: CliContext) {
  withApiOptions(
    org
      .command('invite')
      .argument('<email>', 'who to invite')
      .description(
        'Invite someone to an organization; prints the invitation link (shown once) to give them.',
      )
      .addOption(
        new Option('--role <role>', 'their role').choices(['admin', 'member']).default('member'),
      )
      .option(
        '--expires-in-days <days>',
        'how long the link works, 1-30 (default 7)',
        integerAtLeast(1),
      ),
    { org: true },
  ).action(
    apiAction<ApiFlags & { role: 'admin' | 'member'; expiresInDays?: number }, [string]>(
      context,
      { org: true },
      async (api, flags, email) => {
        const created = await api.client.call('orgs.invitations.create', {
          params: { orgId: api.orgId },
          body: {
            email,
            role: flags.role,
            ...(flags.expiresInDays !== undefined ? { expiresInDays: flags.expiresInDays } : {}),
          },
        });
        if (flags.json === true) return printJson(context, created);
        context.io.stdout(
          [
            `invited ${created.invitation.email} as ${created.invitation.role} (expires ${created.invitation.expiresAt})`,
            `  give them this link (shown once): ${created.url}`,
            '',
          ].join('\n'),
        );
      },
    ),
  );
}

function registerUse(org: Command, context: CliContext) {
  org
    .command('use')
    .argument('<orgId>', 'the organization (org_…)')
    .description('Save an organization in the profile as the default --org.')
    .option('--profile <name>', 'the profile (env FERRY_PROFILE; default "default")')
    .action((...all: unknown[]) => {
      const { flags, args } = splitAction<{ profile?: string }, [string]>(all);
      try {
        const profile = profileName(flags.profile, context.env);
        writeProfile(profile, { ...readProfile(profile, context.env), org: args[0] }, context.env);
        context.io.stdout(`profile "${profile}" now uses organization ${args[0]}\n`);
      } catch (error) {
        reportError(context, error);
      }
    });
}

export const orgCommand: CliCommand = {
  name: 'org',
  register(program, context) {
    const org = program
      .command('org')
      .description(
        'Organizations: create, list, show, members, invite, use; rename, delete, leave, set-role, remove-member, invitations, revoke-invitation.',
      );
    registerCreate(org, context);
    registerList(org, context);
    registerShow(org, context);
    registerMembers(org, context);
    registerInvite(org, context);
    registerUse(org, context);
    registerOrgAdmin(org, context);
  },
};
