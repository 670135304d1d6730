/** `ferry audit`: an organization's audit log, newest first, with the API's filters. */
import { Option } from 'commander';
import type { CliCommand } from '../cli-command.ts';
import { apiAction, printJson, withApiOptions, type ApiFlags } from '../api-connection.ts';
import { allPages } from '../paging.ts';
import { integerAtLeast } from './compute-flags.ts';
import { table } from './compute-format.ts';

interface AuditFlags extends ApiFlags {
  actor?: string;
  action?: string;
  outcome?: 'success' | 'denied' | 'failed';
  since?: string;
  until?: string;
  limit: number;
}

export const auditCommand: CliCommand = {
  name: 'audit',
  register(program, context) {
    withApiOptions(
      program
        .command('audit')
        .description("Read an organization's audit log, newest first (needs audit:read).")
        .option('--actor <id>', 'only this user or service account (usr_…, sa_…)')
        .option('--action <action>', 'only this action, or a prefix ending in * (e.g. workspace.*)')
        .option('--workspace <id>', 'only entries about this workspace (ws_…)')
        .addOption(
          new Option('--outcome <outcome>', 'only this outcome').choices([
            'success',
            'denied',
            'failed',
          ]),
        )
        .option('--since <time>', 'only entries at or after this ISO 8601 time')
        .option('--until <time>', 'only entries before this ISO 8601 time')
        .option('--limit <n>', 'at most this many', integerAtLeast(1), 50),
      { org: true },
    ).action(
      apiAction<AuditFlags, []>(context, { org: true }, async (api, flags) => {
        const entries = await allPages(
          (page) =>
            api.client.call('audit.list', {
              params: { orgId: api.orgId },
              query: {
                ...page,
                ...(flags.actor !== undefined ? { actor: flags.actor } : {}),
                ...(flags.action !== undefined ? { action: flags.action } : {}),
                ...(flags.workspace !== undefined ? { workspaceId: flags.workspace } : {}),
                ...(flags.outcome !== undefined ? { outcome: flags.outcome } : {}),
                ...(flags.since !== undefined ? { since: flags.since } : {}),
                ...(flags.until !== undefined ? { until: flags.until } : {}),
              },
            }),
          flags.limit,
        );
        if (flags.json === true) return printJson(context, entries);
        if (entries.length === 0) return context.io.stdout('no audit entries\n');
        context.io.stdout(
          table(
            ['TIME', 'ACTOR', 'ACTION', 'TARGET', 'OUTCOME'],
            entries.map((e) => [
              e.occurredAt,
              e.actorId ?? e.actorType,
              e.action,
              e.targetId ?? '-',
              e.outcome,
            ]),
          ),
        );
      }),
    );
  },
};
