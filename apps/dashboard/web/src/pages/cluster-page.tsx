/**
 * One cluster: state and why this instance type, the state timeline, its nodes, live logs,
 * CPU and memory charts, and the cost so far; stop when live.
 */
import { useEffect, useRef, useState } from 'react';
import type { CallOutput } from '@ferry/api';
import { PercentChart, type Series } from '../chart.tsx';
import { useAction, usePolling } from '../hooks.ts';
import { QueryTable } from '../query-table.tsx';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { Badge, ErrorAlert, Loading, Page, Time, usd } from '../ui.tsx';

type LogLine = CallOutput<'compute.logs'>['items'][number];
type Sample = CallOutput<'compute.metrics'>['items'][number];

const LIVE = new Set(['Starting', 'Idle', 'Busy']);
const MAX_LOG_LINES = 2000;

export function ClusterPage(props: { workspaceId: string; clusterId: string }) {
  const { api } = useSession();
  const params = { workspaceId: props.workspaceId, clusterId: props.clusterId };
  const key = [props.workspaceId, props.clusterId];
  const cluster = usePolling<CallOutput<'compute.get'>>(
    (_, signal) => api.call('compute.get', { params, signal }),
    { pauseMs: 2000, deps: key },
  );
  const events = usePolling<CallOutput<'compute.events'>>(
    (_, signal) => api.call('compute.events', { params, signal }),
    { pauseMs: 3000, deps: key },
  );
  const [logs, setLogs] = useState<LogLine[]>([]);
  const lastLog = useRef<string | undefined>(undefined);
  usePolling<number>(
    async (_, signal) => {
      const r = await api.call('compute.logs', {
        params,
        query: { limit: 500, ...(lastLog.current !== undefined ? { since: lastLog.current } : {}) },
        signal,
      });
      if (r.items.length > 0) {
        lastLog.current = r.items.at(-1)!.at;
        setLogs((l) => [...l, ...r.items].slice(-MAX_LOG_LINES));
      }
      return r.items.length;
    },
    { pauseMs: 2000, deps: key },
  );
  const metrics = usePolling<CallOutput<'compute.metrics'>>(
    (_, signal) => api.call('compute.metrics', { params, query: { limit: 1000 }, signal }),
    { pauseMs: 5000, deps: key },
  );
  const queries = usePolling<CallOutput<'queries.list'>>(
    (_, signal) =>
      api.call('queries.list', {
        params: { workspaceId: props.workspaceId },
        query: { clusterId: props.clusterId, limit: 10 },
        signal,
      }),
    { pauseMs: 3000, deps: key },
  );
  const stop = useAction(() => api.call('compute.stop', { params }));
  const logBox = useRef<HTMLPreElement>(null);
  const [follow, setFollow] = useState(true);
  useEffect(() => {
    if (follow && logBox.current !== null) logBox.current.scrollTop = logBox.current.scrollHeight;
  }, [logs, follow]);

  const c = cluster.data;
  if (c === undefined) {
    return cluster.error !== undefined ? (
      <Page title="Cluster">
        <ErrorAlert error={cluster.error} />
      </Page>
    ) : (
      <Loading what="the cluster" />
    );
  }
  const samples = metrics.data?.items ?? [];
  const series = (pick: (s: Sample) => number): Series[] => {
    const by = new Map<string, { t: number; v: number }[]>();
    for (const s of samples) {
      const list = by.get(s.instanceId) ?? [];
      list.push({ t: Date.parse(s.at), v: pick(s) });
      by.set(s.instanceId, list);
    }
    return [...by].map(([name, points]) => ({ name, points }));
  };
  return (
    <Page
      title={`Cluster ${c.manifest ?? c.id}`}
      lead={c.manifest !== null ? c.id : undefined}
      actions={
        LIVE.has(c.state) ? (
          <button
            type="button"
            className="button danger"
            disabled={stop.busy}
            onClick={() => void stop.run()}
          >
            {stop.busy ? 'Stopping…' : 'Stop cluster'}
          </button>
        ) : undefined
      }
    >
      <ErrorAlert error={stop.error} title="Could not stop" />
      {cluster.error !== undefined && (
        <ErrorAlert error={cluster.error} title="Lost contact, retrying" />
      )}
      <dl className="facts">
        <div>
          <dt>State</dt>
          <dd>
            <span aria-live="polite" data-testid="cluster-state">
              <Badge value={c.state} />
            </span>
            {c.reason !== null && <span className="muted"> ({c.reason})</span>}
          </dd>
        </div>
        <div>
          <dt>Instance type</dt>
          <dd>{c.instanceType ?? '—'}</dd>
        </div>
        <div>
          <dt>$/hour per node</dt>
          <dd>{c.usdPerHour !== null ? usd(c.usdPerHour, 4) : '—'}</dd>
        </div>
        <div>
          <dt>Cost so far</dt>
          <dd>{usd(c.runningCostUsd, 4)}</dd>
        </div>
        <div>
          <dt>Region</dt>
          <dd>{c.region}</dd>
        </div>
        <div>
          <dt>Idle timeout</dt>
          <dd>{c.idleTimeoutMins} min</dd>
        </div>
      </dl>
      {c.error !== null && <ErrorAlert title={`Failed: ${c.error.code}`} error={c.error.message} />}
      {c.selection !== null && (
        <p className="selection-reason">
          Why {c.selection.instanceType}: {c.selection.reason}
        </p>
      )}

      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        <ol className="timeline">
          {(events.data?.items ?? []).map((e, i) => (
            <li key={i}>
              <Time at={e.at} /> — {e.from !== null ? `${e.from} → ` : ''}
              <Badge value={e.to} /> <span className="muted">{e.event}</span>
              {e.message !== null && <div className="timeline-message">{e.message}</div>}
            </li>
          ))}
        </ol>
      </section>

      <section aria-labelledby="nodes-heading">
        <h2 id="nodes-heading">Nodes</h2>
        {c.nodes.length === 0 ? (
          <p className="muted">No instance yet.</p>
        ) : (
          <div className="table-scroll">
            <table className="table">
              <caption className="visually-hidden">Nodes</caption>
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col">Type</th>
                  <th scope="col">Zone</th>
                  <th scope="col">Private IP</th>
                  <th scope="col">EC2</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Last heartbeat</th>
                </tr>
              </thead>
              <tbody>
                {c.nodes.map((n) => (
                  <tr key={n.instanceId}>
                    <td>
                      <code>{n.instanceId}</code>
                    </td>
                    <td>{n.instanceType}</td>
                    <td>{n.availabilityZone ?? '—'}</td>
                    <td>{n.privateIp ?? '—'}</td>
                    <td>{n.ec2State}</td>
                    <td>{n.agentState ?? 'not registered'}</td>
                    <td>
                      <Time at={n.lastHeartbeatAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="queries-heading">
        <h2 id="queries-heading">Queries</h2>
        {(queries.data?.items ?? []).length === 0 ? (
          <p className="muted">No queries on this cluster yet.</p>
        ) : (
          <>
            <QueryTable
              workspaceId={props.workspaceId}
              queries={queries.data?.items ?? []}
              caption="Queries on this cluster"
            />
            <p>
              <Link to={`/workspaces/${props.workspaceId}/queries?cluster=${props.clusterId}`}>
                All queries
              </Link>
            </p>
          </>
        )}
      </section>

      <section aria-labelledby="metrics-heading">
        <h2 id="metrics-heading">CPU and memory</h2>
        <div className="charts">
          <PercentChart title="CPU" series={series((s) => s.cpuPercent)} />
          <PercentChart title="Memory" series={series((s) => s.memoryPercent)} />
        </div>
      </section>

      <section aria-labelledby="logs-heading">
        <h2 id="logs-heading">Logs</h2>
        <label className="checkbox">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />{' '}
          Follow new lines
        </label>
        <pre
          className="logs"
          ref={logBox}
          tabIndex={0}
          aria-label="Cluster logs"
          data-testid="cluster-logs"
        >
          {logs.length === 0
            ? 'No log lines yet.'
            : logs.map((l) => `${l.at} ${l.instanceId} ${l.stream}: ${l.line}`).join('\n')}
        </pre>
      </section>
    </Page>
  );
}
