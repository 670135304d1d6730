/**
 * `ferry query run|list|status|cancel|result|profile`: queries on a workspace's clusters.
 * `run` goes through the SDK (plan safety and the version check before sending; direct
 * or proxy mode as the cluster says); the others read the control plane's query records.
 */
import { readFile } from 'node:fs/promises';
import type { QueryView } from '@ferry/api';
import {
  ComputeContext,
  FerryError,
  remote,
  sql,
  type QueryResult,
  type RemoteQuery,
} from '@ferry/sdk';
import pl from 'nodejs-polars';
import type { Command } from 'commander';
import { CliError, type CliCommand, type CliContext } from '../cli-command.ts';
import {
  connect,
  printJson,
  runApi,
  withConnection,
  type ConnectionFlags,
  type WorkspaceClient,
} from './compute-connection.ts';
import { collectLabel, integer } from './compute-flags.ts';
import { formatProfile, formatQuery, formatQueryList } from './query-format.ts';

type Flags<T> = T & ConnectionFlags;

function action<T extends ConnectionFlags, A extends unknown[]>(
  context: CliContext,
  body: (wc: WorkspaceClient, flags: T, ...args: A) => Promise<void>,
) {
  return async (...all: unknown[]) => {
    const flags = all.at(-2) as T;
    const args = all.slice(0, -2) as A;
    await runApi(context, async () => {
      try {
        await body(connect(flags, context.env), flags, ...args);
      } catch (err) {
        // The SDK's typed errors carry a stable code and a message naming the cause.
        if (err instanceof FerryError) throw new CliError(err.code, `${err.code}: ${err.message}`);
        throw err;
      }
    });
  };
}

/** The sink writer for a URI, by its extension (Parquet unless said otherwise). */
function sinkOf(query: RemoteQuery, uri: string): Promise<QueryResult> {
  if (/\.csv$/i.test(uri)) return query.sinkCsv(uri);
  if (/\.(ipc|arrow|feather)$/i.test(uri)) return query.sinkIpc(uri);
  if (/\.(ndjson|jsonl)$/i.test(uri)) return query.sinkNdJson(uri);
  return query.sinkParquet(uri);
}

interface RunFlags {
  cluster?: string;
  sql?: string;
  plan?: string;
  sink?: string;
  label?: Record<string, string>;
  connection?: string[];
  head: number;
  timeout?: number;
}

function registerRun(query: Command, context: CliContext) {
  withConnection(
    query
      .command('run')
      .description(
        'Run a query on a cluster and print its first rows, row count, location, timings and cost.',
      )
      .option('--cluster <id>', 'the cluster (cl_…)')
      .option('--sql <query>', 'a polars SQL query, e.g. "SELECT … FROM read_parquet(\'s3://…\')"')
      .option('--plan <file>', "a serialized nodejs-polars plan (lf.serialize('json'))")
      .option('--sink <uri>', 'write the result here (s3://…; .parquet, .csv, .ipc, .ndjson)')
      .option('--label <key=value>', 'a label (repeatable)', collectLabel)
      .option(
        '--connection <name>',
        'a data connection the query reads through (repeatable)',
        (name: string, all: string[] = []) => [...all, name],
      )
      .option('--head <rows>', 'rows to print (default 10)', integer, 10)
      .option('--timeout <seconds>', 'cancel the query after this long', integer),
  ).action(
    action<Flags<RunFlags>, []>(context, async (wc, flags) => {
      if (flags.cluster === undefined)
        throw new CliError('missing_option', '--cluster is required');
      if ((flags.sql === undefined) === (flags.plan === undefined))
        throw new CliError('invalid_option', 'give exactly one of --sql and --plan');
      const ctx = await ComputeContext.connect(flags.cluster, {
        url: flags.url,
        token: flags.token,
        workspace: wc.workspaceId,
      });
      const options = {
        headRows: flags.head,
        ...(flags.label !== undefined ? { labels: flags.label } : {}),
        ...(flags.timeout !== undefined ? { timeoutSeconds: flags.timeout } : {}),
        ...(flags.connection !== undefined ? { connections: flags.connection } : {}),
      };
      let q: RemoteQuery;
      if (flags.sql !== undefined) q = sql(ctx, flags.sql, options);
      else {
        let text: Buffer;
        try {
          text = await readFile(flags.plan!);
        } catch (err) {
          throw new CliError('invalid_option', `--plan: ${(err as Error).message}`);
        }
        let lf: pl.LazyDataFrame;
        try {
          lf = pl.LazyDataFrame.deserialize(text, 'json');
        } catch (err) {
          throw new CliError('invalid_option', `--plan: not a polars JSON plan: ${String(err)}`);
        }
        q = remote(lf, ctx, options);
      }
      const started = Date.now();
      const result = flags.sink !== undefined ? await sinkOf(q, flags.sink) : await q.execute();
      const elapsed = Date.now() - started;
      const record = await wc.client.call('queries.get', {
        params: { workspaceId: wc.workspaceId, queryId: result.id },
      });
      if (flags.json === true) {
        printJson(context, { ...record, head: result.head.head(flags.head).toRecords() });
        return;
      }
      context.io.stdout(`${String(result.head.head(flags.head))}\n`);
      context.io.stdout(formatQuery(record));
      context.io.stdout(`  round trip: ${elapsed} ms (${ctx.connectionMode} mode)\n`);
    }),
  );
}

function registerList(query: Command, context: CliContext) {
  withConnection(
    query
      .command('list')
      .description("List the workspace's queries, newest first.")
      .option('--cluster <id>', 'only this cluster’s')
      .option('--state <states>', 'only these states, comma-separated (e.g. Queued,Running)')
      .option('--label <key=value>', 'only queries with this label')
      .option('--limit <n>', 'at most this many (default 50)', integer, 50),
  ).action(
    action<Flags<{ cluster?: string; state?: string; label?: string; limit: number }>, []>(
      context,
      async (wc, flags) => {
        const items: QueryView[] = [];
        let cursor: string | undefined;
        do {
          const page = await wc.client.call('queries.list', {
            params: { workspaceId: wc.workspaceId },
            query: {
              limit: Math.min(100, Math.max(1, flags.limit - items.length)),
              ...(flags.cluster !== undefined ? { clusterId: flags.cluster } : {}),
              ...(flags.state !== undefined ? { state: flags.state } : {}),
              ...(flags.label !== undefined ? { label: flags.label } : {}),
              ...(cursor !== undefined ? { cursor } : {}),
            },
          });
          items.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor !== undefined && items.length < flags.limit);
        const shown = items.slice(0, flags.limit);
        if (flags.json === true) printJson(context, shown);
        else context.io.stdout(formatQueryList(shown));
      },
    ),
  );
}

function registerOne(
  query: Command,
  context: CliContext,
  name: 'status' | 'cancel',
  description: string,
) {
  withConnection(
    query.command(name).argument('<queryId>', 'the query (qry_…)').description(description),
  ).action(
    action<Flags<object>, [string]>(context, async (wc, flags, queryId) => {
      const params = { workspaceId: wc.workspaceId, queryId };
      const q =
        name === 'cancel'
          ? await wc.client.call('queries.cancel', { params })
          : await wc.client.call('queries.get', { params });
      if (flags.json === true) printJson(context, q);
      else context.io.stdout(formatQuery(q));
    }),
  );
}

function registerResult(query: Command, context: CliContext) {
  withConnection(
    query
      .command('result')
      .argument('<queryId>', 'the query (qry_…)')
      .description(
        'Wait for a query to finish and print its first rows (from its worker in direct mode, from the control plane in proxy mode, where a head is kept only until fetched).',
      )
      .option('--head <rows>', 'rows to print (default 10)', integer, 10),
  ).action(
    action<Flags<{ head: number }>, [string]>(context, async (wc, flags, queryId) => {
      const record = await wc.client.call('queries.get', {
        params: { workspaceId: wc.workspaceId, queryId },
      });
      const ctx = await ComputeContext.connect(record.clusterId, {
        url: flags.url,
        token: flags.token,
        workspace: wc.workspaceId,
      });
      const result = await ctx.query(queryId).result();
      if (flags.json === true) {
        printJson(context, { ...record, head: result.head.head(flags.head).toRecords() });
        return;
      }
      context.io.stdout(`${String(result.head.head(flags.head))}\n`);
      context.io.stdout(formatQuery(record));
    }),
  );
}

function registerProfile(query: Command, context: CliContext) {
  withConnection(
    query
      .command('profile')
      .argument('<queryId>', 'the query (qry_…)')
      .description("A query's phase timings, its node's peak CPU and memory, and its cost."),
  ).action(
    action<Flags<object>, [string]>(context, async (wc, flags, queryId) => {
      const p = await wc.client.call('queries.profile', {
        params: { workspaceId: wc.workspaceId, queryId },
      });
      if (flags.json === true) printJson(context, p);
      else context.io.stdout(formatProfile(p));
    }),
  );
}

export const queryCommand: CliCommand = {
  name: 'query',
  register(program, context) {
    const query = program
      .command('query')
      .description('Run nodejs-polars plans and SQL on a cluster, and follow queries.');
    registerRun(query, context);
    registerList(query, context);
    registerOne(query, context, 'status', "Show a query's state, times, rows, location and cost.");
    registerOne(query, context, 'cancel', 'Cancel a query (its executor is killed on the node).');
    registerResult(query, context);
    registerProfile(query, context);
  },
};
