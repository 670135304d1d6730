/**
 * A workspace's members: `ferry workspace set-role` gives an organization member a role in
 * the workspace (adding them), `ferry workspace remove-member` takes it away.
 */
import { Argument, type Command } from 'commander';
import type { CliContext } from '../cli-command.ts';
import { apiAction, printJson, withApiOptions, type ApiFlags } from '../api-connection.ts';

const WS = { workspace: true } as const;

/** Adds `set-role` and `remove-member` to `ferry workspace`. */
export function registerWorkspaceMembers(ws: Command, context: CliContext): void {
  withApiOptions(
    ws
      .command('set-role')
      .argument('<userId>', 'a member of the organization (usr_…; see ferry org members)')
      .addArgument(new Argument('<role>', 'admin or member').choices(['admin', 'member']))
      .description('Give an organization member a role in the workspace (adds them if not in it).'),
    WS,
  ).action(
    apiAction<ApiFlags, [string, 'admin' | 'member']>(
      context,
      WS,
      async (api, flags, userId, role) => {
        const m = await api.client.call('workspaces.members.set', {
          params: { workspaceId: api.workspaceId, userId },
          body: { role },
        });
        if (flags.json === true) return printJson(context, m);
        context.io.stdout(`${m.email} is now ${m.role} of workspace ${api.workspaceId}\n`);
      },
    ),
  );
  withApiOptions(
    ws
      .command('remove-member')
      .argument('<userId>', 'the member (usr_…)')
      .description('Remove a member from the workspace (they stay in the organization).'),
    WS,
  ).action(
    apiAction<ApiFlags, [string]>(context, WS, async (api, flags, userId) => {
      await api.client.call('workspaces.members.remove', {
        params: { workspaceId: api.workspaceId, userId },
      });
      if (flags.json === true) return printJson(context, { removed: userId });
      context.io.stdout(`${userId} removed from workspace ${api.workspaceId}\n`);
    }),
  );
}
