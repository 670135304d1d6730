/**
 * A workspace's queries, newest first, in both connection modes: filter by state and
 * cluster; each links to its page. Queries are submitted from the SDK or the CLI
 * (docs/queries.md), so the page says how when there are none.
 */
import type { CallOutput } from '@ferry/api';
import { useState } from 'react';
import { useLocation } from '../router.tsx';
import { usePolling } from '../hooks.ts';
import { QueryTable } from '../query-table.tsx';
import { useSession } from '../session.tsx';
import { ErrorAlert, Field, Loading, Notice, Page, Select } from '../ui.tsx';

const STATE_FILTERS = ['', 'Queued,Running', 'Succeeded', 'Failed', 'Canceled'] as const;

export function QueriesPage(props: { workspaceId: string }) {
  const { api } = useSession();
  const { workspaceId } = props;
  const [state, setState] = useState<string>('');
  const { search } = useLocation();
  const [clusterId, setClusterId] = useState(search.get('cluster') ?? '');
  const queries = usePolling<CallOutput<'queries.list'>>(
    (_, signal) =>
      api.call('queries.list', {
        params: { workspaceId },
        query: {
          limit: 50,
          ...(state !== '' ? { state } : {}),
          ...(clusterId.trim() !== '' ? { clusterId: clusterId.trim() } : {}),
        },
        signal,
      }),
    { pauseMs: 3000, deps: [workspaceId, state, clusterId] },
  );
  const items = queries.data?.items ?? [];
  return (
    <Page
      title="Queries"
      lead="Every query run on this workspace's clusters, in direct and proxy mode: its state, rows, time and cost."
    >
      <div className="filters">
        <Select
          label="State"
          name="state"
          value={state}
          onChange={setState}
          options={STATE_FILTERS.map((s) => ({ value: s, label: s === '' ? 'Any' : s }))}
        />
        <Field
          label="Cluster"
          name="clusterId"
          value={clusterId}
          placeholder="cl_…"
          onChange={setClusterId}
        />
      </div>
      <ErrorAlert error={queries.error} />
      {queries.data === undefined && queries.error === undefined ? (
        <Loading what="the queries" />
      ) : items.length === 0 ? (
        <Notice>
          No queries{state !== '' || clusterId !== '' ? ' match' : ' yet'}. Run one with the SDK (
          <code>remote(lf, ctx).execute()</code>) or the CLI (
          <code>ferry query run --cluster ID --sql "…"</code>); see docs/queries.md.
        </Notice>
      ) : (
        <QueryTable workspaceId={workspaceId} queries={items} caption="Queries" showCluster />
      )}
    </Page>
  );
}
