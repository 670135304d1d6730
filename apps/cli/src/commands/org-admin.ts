/**
 * Managing an organization (its admins' side): `ferry org rename|delete|leave`, a member's
 * role and removal (`set-role`, `remove-member`), and its invitations (`invitations`,
 * `revoke-invitation`).
 */
import { Argument, type Command } from 'commander';
import type { CliContext } from '../cli-command.ts';
import { apiAction, printJson, withApiOptions, type ApiFlags } from '../api-connection.ts';
import { allPages } from '../paging.ts';
import { confirmByName } from '../prompt.ts';
import { readProfile, writeProfile } from '../profiles.ts';
import { table } from './compute-format.ts';

const ORG = { org: true } as const;
const role = () => new Argument('<role>', 'admin or member').choices(['admin', 'member']);

function registerRename(org: Command, context: CliContext) {
  withApiOptions(
    org.command('rename').argument('<name>', 'the new name').description('Rename an organization.'),
    ORG,
  ).action(
    apiAction<ApiFlags, [string]>(context, ORG, async (api, flags, name) => {
      const o = await api.client.call('orgs.update', {
        params: { orgId: api.orgId },
        body: { name },
      });
      if (flags.json === true) return printJson(context, o);
      context.io.stdout(`organization ${o.id} is now "${o.name}"\n`);
    }),
  );
}

/** Forgets the organization as the profile's default once it is gone or left. */
function forgetOrg(context: CliContext, profile: string, orgId: string) {
  const saved = readProfile(profile, context.env);
  if (saved.org !== orgId) return;
  const { org: _o, ...rest } = saved;
  writeProfile(profile, rest, context.env);
}

function registerDelete(org: Command, context: CliContext) {
  withApiOptions(
    org
      .command('delete')
      .description(
        'Delete an organization (it must have no workspaces left). Asks to type its name on a terminal; elsewhere needs --yes.',
      )
      .option('--yes', 'do not ask for confirmation'),
    ORG,
  ).action(
    apiAction<ApiFlags & { yes?: boolean }, []>(context, ORG, async (api, flags) => {
      const params = { orgId: api.orgId };
      await confirmByName(context, flags.yes, 'organization', () =>
        api.client.call('orgs.get', { params }),
      );
      await api.client.call('orgs.delete', { params });
      forgetOrg(context, api.profile, api.orgId);
      if (flags.json === true) printJson(context, { deleted: api.orgId });
      else context.io.stdout(`organization ${api.orgId} deleted\n`);
    }),
  );
}

function registerLeave(org: Command, context: CliContext) {
  withApiOptions(
    org
      .command('leave')
      .description('Leave an organization (its last admin cannot).')
      .option('--yes', 'do not ask for confirmation'),
    ORG,
  ).action(
    apiAction<ApiFlags & { yes?: boolean }, []>(context, ORG, async (api, flags) => {
      await confirmByName(
        context,
        flags.yes,
        'organization',
        () => api.client.call('orgs.get', { params: { orgId: api.orgId } }),
        'Leave',
      );
      await api.client.call('orgs.leave', { params: { orgId: api.orgId } });
      forgetOrg(context, api.profile, api.orgId);
      if (flags.json === true) printJson(context, { left: api.orgId });
      else context.io.stdout(`you left organization ${api.orgId}\n`);
    }),
  );
}

function registerSetRole(org: Command, context: CliContext) {
  withApiOptions(
    org
      .command('set-role')
      .argument('<userId>', 'the member (usr_…; see ferry org members)')
      .addArgument(role())
      .description("Change a member's role (the last admin cannot be demoted)."),
    ORG,
  ).action(
    apiAction<ApiFlags, [string, 'admin' | 'member']>(
      context,
      ORG,
      async (api, flags, userId, newRole) => {
        const m = await api.client.call('orgs.members.update', {
          params: { orgId: api.orgId, userId },
          body: { role: newRole },
        });
        if (flags.json === true) return printJson(context, m);
        context.io.stdout(`${m.email} is now ${m.role} of ${api.orgId}\n`);
      },
    ),
  );
}

function registerRemoveMember(org: Command, context: CliContext) {
  withApiOptions(
    org
      .command('remove-member')
      .argument('<userId>', 'the member (usr_…)')
      .description('Remove a member from an organization and its workspaces.'),
    ORG,
  ).action(
    apiAction<ApiFlags, [string]>(context, ORG, async (api, flags, userId) => {
      await api.client.call('orgs.members.remove', { params: { orgId: api.orgId, userId } });
      if (flags.json === true) return printJson(context, { removed: userId });
      context.io.stdout(`${userId} removed from ${api.orgId}\n`);
    }),
  );
}

function registerInvitations(org: Command, context: CliContext) {
  withApiOptions(
    org.command('invitations').description("List an organization's invitations."),
    ORG,
  ).action(
    apiAction(context, ORG, async (api, flags) => {
      const items = await allPages((query) =>
        api.client.call('orgs.invitations.list', { params: { orgId: api.orgId }, query }),
      );
      if (flags.json === true) return printJson(context, items);
      if (items.length === 0)
        return context.io.stdout('no invitations (invite someone: ferry org invite <email>)\n');
      const state = (i: (typeof items)[number]) =>
        i.acceptedAt !== null ? 'accepted' : i.revokedAt !== null ? 'revoked' : 'open';
      context.io.stdout(
        table(
          ['ID', 'EMAIL', 'ROLE', 'STATE', 'EXPIRES'],
          items.map((i) => [i.id, i.email, i.role, state(i), i.expiresAt]),
        ),
      );
    }),
  );
}

function registerRevokeInvitation(org: Command, context: CliContext) {
  withApiOptions(
    org
      .command('revoke-invitation')
      .argument('<invitationId>', 'the invitation (inv_…)')
      .description('Revoke an invitation: its link stops working.'),
    ORG,
  ).action(
    apiAction<ApiFlags, [string]>(context, ORG, async (api, flags, invitationId) => {
      await api.client.call('orgs.invitations.revoke', {
        params: { orgId: api.orgId, invitationId },
      });
      if (flags.json === true) return printJson(context, { revoked: invitationId });
      context.io.stdout(`invitation ${invitationId} revoked\n`);
    }),
  );
}

/** Adds the organization admin's commands to `ferry org`. */
export function registerOrgAdmin(org: Command, context: CliContext): void {
  registerRename(org, context);
  registerDelete(org, context);
  registerLeave(org, context);
  registerSetRole(org, context);
  registerRemoveMember(org, context);
  registerInvitations(org, context);
  registerRevokeInvitation(org, context);
}
