/**
 * A table of queries (the workspace's queries page and a cluster's page share it): each
 * query's kind, mode, state, rows, time and cost, linked to its own page.
 */
import type { QueryView } from '@ferry/api';
import { Link } from './router.tsx';
import { Badge, Time, duration, usd } from './ui.tsx';

/** Queued to finished (or to now while it runs). */
export function queryMs(q: QueryView, now = Date.now()): number {
  const end = q.finishedAt !== null ? Date.parse(q.finishedAt) : now;
  return end - Date.parse(q.queuedAt);
}

export function QueryTable(props: {
  workspaceId: string;
  queries: readonly QueryView[];
  caption: string;
  showCluster?: boolean;
}) {
  const { workspaceId, queries } = props;
  return (
    <div className="table-scroll">
      <table className="table" data-testid="query-table">
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Query</th>
            <th scope="col">Kind</th>
            <th scope="col">Mode</th>
            <th scope="col">State</th>
            {props.showCluster === true && <th scope="col">Cluster</th>}
            <th scope="col">Rows</th>
            <th scope="col">Time</th>
            <th scope="col">Cost</th>
            <th scope="col">Queued</th>
          </tr>
        </thead>
        <tbody>
          {queries.map((q) => (
            <tr key={q.id}>
              <td>
                <Link to={`/workspaces/${workspaceId}/queries/${q.id}`}>
                  <code>{q.id}</code>
                </Link>
              </td>
              <td>{q.kind === 'sql' ? 'SQL' : 'plan'}</td>
              <td>{q.mode}</td>
              <td>
                <Badge value={q.state} />
                {q.error !== null && <span className="muted"> {q.error.code}</span>}
              </td>
              {props.showCluster === true && (
                <td>
                  <Link to={`/workspaces/${workspaceId}/clusters/${q.clusterId}`}>
                    <code>{q.clusterId}</code>
                  </Link>
                </td>
              )}
              <td>{q.rowCount !== null ? q.rowCount.toLocaleString() : '—'}</td>
              <td>{duration(queryMs(q))}</td>
              <td>{q.costUsd !== null ? usd(q.costUsd, 6) : '—'}</td>
              <td>
                <Time at={q.queuedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
