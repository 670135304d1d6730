/**
 * `ferry workspace create|list|show|rename|delete|members|use` and, from
 * workspace-aws.ts, `ferry workspace aws …`. `use` saves a workspace in the profile as the
 * default `--workspace`.
 */
import type { Command } from 'commander';
import { type CliCommand, type CliContext } from '../cli-command.ts';
import {
  apiAction,
  printJson,
  reportError,
  splitAction,
  withApiOptions,
  type ApiFlags,
} from '../api-connection.ts';
import { allPages } from '../paging.ts';
import { confirmByName } from '../prompt.ts';
import { profileName, readProfile, writeProfile } from '../profiles.ts';
import { table } from './compute-format.ts';
import { registerWorkspaceAws } from './workspace-aws.ts';
import { registerWorkspaceMembers } from './workspace-members.ts';

function registerCreate(ws: Command, context: CliContext) {
  withApiOptions(
    ws
      .command('create')
      .argument('<name>', 'the workspace’s name (renamable later)')
      .description(
        'Create a workspace in an organization; it starts Uninitialized until AWS is connected.',
      )
      .option('--description <text>', 'what it is for')
      .option('--use', 'also save it in the profile as the default --workspace'),
    { org: true },
  ).action(
    apiAction<ApiFlags & { description?: string; use?: boolean }, [string]>(
      context,
      { org: true },
      async (api, flags, name) => {
        const created = await api.client.call('workspaces.create', {
          params: { orgId: api.orgId },
          body: {
            name,
            ...(flags.description !== undefined ? { description: flags.description } : {}),
          },
        });
        if (flags.use === true)
          writeProfile(
            api.profile,
            { ...readProfile(api.profile, context.env), workspace: created.id },
            context.env,
          );
        if (flags.json === true) return printJson(context, created);
        context.io.stdout(
          `workspace ${created.id} "${created.name}" created (${created.state})\n  next: ferry workspace aws connect${flags.use === true ? '' : ` --workspace ${created.id}`} --region <region>\n`,
        );
      },
    ),
  );
}

function registerList(ws: Command, context: CliContext) {
  withApiOptions(
    ws.command('list').description('List the workspaces of an organization you can see.'),
    {
      org: true,
    },
  ).action(
    apiAction(context, { org: true }, async (api, flags) => {
      const items = await allPages((query) =>
        api.client.call('workspaces.list', { params: { orgId: api.orgId }, query }),
      );
      if (flags.json === true) return printJson(context, items);
      if (items.length === 0)
        return context.io.stdout('no workspaces (create one: ferry workspace create <name>)\n');
      context.io.stdout(
        table(
          ['ID', 'NAME', 'STATE', 'ROLE', 'CREATED'],
          items.map((w) => [w.id, w.name, w.state, w.role ?? '-', w.createdAt]),
        ),
      );
    }),
  );
}

function registerShow(ws: Command, context: CliContext) {
  withApiOptions(ws.command('show').description('Show a workspace and its settings.'), {
    workspace: true,
  }).action(
    apiAction(context, { workspace: true }, async (api, flags) => {
      const w = await api.client.call('workspaces.get', {
        params: { workspaceId: api.workspaceId },
      });
      if (flags.json === true) return printJson(context, w);
      const labels = Object.entries(w.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      context.io.stdout(
        [
          `workspace ${w.id} "${w.name}"`,
          `  state:        ${w.state}`,
          `  organization: ${w.orgId}`,
          `  your role:    ${w.role ?? '-'}`,
          `  description:  ${w.description === '' ? '-' : w.description}`,
          `  idle timeout: ${w.defaultIdleTimeoutMinutes} min`,
          `  labels:       ${labels === '' ? '-' : labels}`,
          `  created:      ${w.createdAt}`,
          '',
        ].join('\n'),
      );
    }),
  );
}

function registerRename(ws: Command, context: CliContext) {
  withApiOptions(
    ws.command('rename').argument('<name>', 'the new name').description('Rename a workspace.'),
    { workspace: true },
  ).action(
    apiAction<ApiFlags, [string]>(context, { workspace: true }, async (api, flags, name) => {
      const w = await api.client.call('workspaces.update', {
        params: { workspaceId: api.workspaceId },
        body: { name },
      });
      if (flags.json === true) return printJson(context, w);
      context.io.stdout(`workspace ${w.id} is now "${w.name}"\n`);
    }),
  );
}

function registerDelete(ws: Command, context: CliContext) {
  withApiOptions(
    ws
      .command('delete')
      .description(
        'Delete a workspace; its service accounts and their tokens are revoked. Asks to type its name on a terminal; elsewhere needs --yes.',
      )
      .option('--yes', 'do not ask for confirmation'),
    { workspace: true },
  ).action(
    apiAction<ApiFlags & { yes?: boolean }, []>(
      context,
      { workspace: true },
      async (api, flags) => {
        const params = { workspaceId: api.workspaceId };
        await confirmByName(context, flags.yes, 'workspace', () =>
          api.client.call('workspaces.get', { params }),
        );
        await api.client.call('workspaces.delete', { params });
        const saved = readProfile(api.profile, context.env);
        if (saved.workspace === api.workspaceId) {
          const { workspace: _w, ...rest } = saved;
          writeProfile(api.profile, rest, context.env);
        }
        if (flags.json === true) printJson(context, { deleted: api.workspaceId });
        else context.io.stdout(`workspace ${api.workspaceId} deleted\n`);
      },
    ),
  );
}

function registerMembers(ws: Command, context: CliContext) {
  withApiOptions(
    ws
      .command('members')
      .description('List the members of a workspace (organization admins included).'),
    { workspace: true },
  ).action(
    apiAction(context, { workspace: true }, async (api, flags) => {
      const members = await allPages((query) =>
        api.client.call('workspaces.members.list', {
          params: { workspaceId: api.workspaceId },
          query,
        }),
      );
      if (flags.json === true) return printJson(context, members);
      context.io.stdout(
        table(
          ['USER', 'EMAIL', 'NAME', 'ROLE'],
          members.map((m) => [
            m.userId,
            m.email,
            m.name,
            `${m.role}${m.viaOrgAdmin ? ' (org admin)' : ''}`,
          ]),
        ),
      );
    }),
  );
}

function registerUse(ws: Command, context: CliContext) {
  ws.command('use')
    .argument('<workspaceId>', 'the workspace (ws_…)')
    .description('Save a workspace in the profile as the default --workspace.')
    .option('--profile <name>', 'the profile (env FERRY_PROFILE; default "default")')
    .action((...all: unknown[]) => {
      const { flags, args } = splitAction<{ profile?: string }, [string]>(all);
      try {
        const profile = profileName(flags.profile, context.env);
        writeProfile(
          profile,
          { ...readProfile(profile, context.env), workspace: args[0] },
          context.env,
        );
        context.io.stdout(`profile "${profile}" now uses workspace ${args[0]}\n`);
      } catch (error) {
        reportError(context, error);
      }
    });
}

export const workspaceCommand: CliCommand = {
  name: 'workspace',
  register(program, context) {
    const ws = program
      .command('workspace')
      .description(
        'Workspaces: create, list, show, rename, delete, members, set-role, remove-member, use; aws connect|status|verify|update.',
      );
    registerCreate(ws, context);
    registerList(ws, context);
    registerShow(ws, context);
    registerRename(ws, context);
    registerDelete(ws, context);
    registerMembers(ws, context);
    registerWorkspaceMembers(ws, context);
    registerUse(ws, context);
    registerWorkspaceAws(ws, context);
  },
};
