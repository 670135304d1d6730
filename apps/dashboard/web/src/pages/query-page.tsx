/**
 * One query: its state, where it ran, rows, bytes, result location and cost; polars' error
 * verbatim when it failed; the result's columns; the optimized plan; and the profile — where
 * its time went and its node's CPU while it ran. Cancel while it is queued or running.
 */
import type { CallOutput, QueryProfileView } from '@ferry/api';
import { PercentChart } from '../chart.tsx';
import { useAction, usePolling } from '../hooks.ts';
import { queryMs } from '../query-table.tsx';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { Badge, ErrorAlert, Loading, Page, Time, bytes, duration, usd } from '../ui.tsx';

const LIVE = new Set(['Queued', 'Running']);

const PHASES: [keyof QueryProfileView['phases'], string][] = [
  ['queueWaitMs', 'Queue wait'],
  ['planCheckMs', 'Plan check'],
  ['credentialInjectionMs', 'Credential injection'],
  ['executionMs', 'Execution'],
  ['resultWriteMs', 'Result write'],
  ['uploadMs', 'Upload'],
];

export function QueryPage(props: { workspaceId: string; queryId: string }) {
  const { api } = useSession();
  const params = { workspaceId: props.workspaceId, queryId: props.queryId };
  const deps = [props.workspaceId, props.queryId];
  const query = usePolling<CallOutput<'queries.get'>>(
    (_, signal) => api.call('queries.get', { params, signal }),
    { pauseMs: 2000, deps },
  );
  const profile = usePolling<CallOutput<'queries.profile'>>(
    (_, signal) => api.call('queries.profile', { params, signal }),
    { pauseMs: 3000, deps },
  );
  const cancel = useAction(() => api.call('queries.cancel', { params }));

  const q = query.data;
  if (q === undefined) {
    return query.error !== undefined ? (
      <Page title="Query">
        <ErrorAlert error={query.error} />
      </Page>
    ) : (
      <Loading what="the query" />
    );
  }
  const p = profile.data;
  const samples = p?.samples ?? [];
  const peakMemory = samples.reduce((m, s) => Math.max(m, s.memoryUsedBytes), 0);
  const phaseTotal = PHASES.reduce((t, [k]) => t + (p?.phases[k] ?? 0), 0);
  return (
    <Page
      title={`Query ${q.id}`}
      lead={`${q.kind === 'sql' ? 'SQL' : 'A nodejs-polars plan'}, ${q.mode} mode`}
      actions={
        LIVE.has(q.state) ? (
          <button
            type="button"
            className="button danger"
            disabled={cancel.busy}
            onClick={() => void cancel.run()}
          >
            {cancel.busy ? 'Canceling…' : 'Cancel query'}
          </button>
        ) : undefined
      }
    >
      <ErrorAlert error={cancel.error} title="Could not cancel" />
      {query.error !== undefined && (
        <ErrorAlert error={query.error} title="Lost contact, retrying" />
      )}
      <dl className="facts">
        <div>
          <dt>State</dt>
          <dd>
            <span aria-live="polite" data-testid="query-state">
              <Badge value={q.state} />
            </span>
          </dd>
        </div>
        <div>
          <dt>Cluster</dt>
          <dd>
            <Link to={`/workspaces/${q.workspaceId}/clusters/${q.clusterId}`}>
              <code>{q.clusterId}</code>
            </Link>
            {q.instanceId !== null && <span className="muted"> on {q.instanceId}</span>}
          </dd>
        </div>
        <div>
          <dt>Rows</dt>
          <dd data-testid="query-rows">
            {q.rowCount !== null ? q.rowCount.toLocaleString() : '—'}
          </dd>
        </div>
        <div>
          <dt>Result size</dt>
          <dd>{q.bytes !== null ? bytes(q.bytes) : '—'}</dd>
        </div>
        <div>
          <dt>Time</dt>
          <dd>{duration(queryMs(q))}</dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{q.costUsd !== null ? usd(q.costUsd, 6) : '—'}</dd>
        </div>
        <div>
          <dt>Queued</dt>
          <dd>
            <Time at={q.queuedAt} />
          </dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>
            <Time at={q.finishedAt} />
          </dd>
        </div>
        <div>
          <dt>By</dt>
          <dd>
            {q.actor.kind === 'user' ? 'user' : 'service account'} <code>{q.actor.id}</code>
          </dd>
        </div>
        {Object.keys(q.labels).length > 0 && (
          <div>
            <dt>Labels</dt>
            <dd>
              {Object.entries(q.labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')}
            </dd>
          </div>
        )}
      </dl>
      {q.location !== null && (
        <p>
          Result: <code data-testid="query-location">{q.location}</code>
        </p>
      )}
      {q.error !== null && (
        <section aria-labelledby="error-heading">
          <h2 id="error-heading">Error: {q.error.code}</h2>
          <pre className="code" data-testid="query-error">
            {q.error.message}
          </pre>
          {q.error.details !== undefined && (
            <ul>
              {q.error.details.map((d, i) => (
                <li key={i}>
                  <code>{d.path}</code>: {d.message}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}

      {q.schema !== null && (
        <section aria-labelledby="schema-heading">
          <h2 id="schema-heading">Columns</h2>
          <table className="table">
            <caption className="visually-hidden">Result columns</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
              </tr>
            </thead>
            <tbody>
              {q.schema.map((c) => (
                <tr key={c.name}>
                  <td>
                    <code>{c.name}</code>
                  </td>
                  <td>{c.dtype}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      <section aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        {p === undefined || phaseTotal === 0 ? (
          <p className="muted">No timings reported yet.</p>
        ) : (
          <>
            <table className="table" data-testid="query-profile">
              <caption className="visually-hidden">Where the time went</caption>
              <thead>
                <tr>
                  <th scope="col">Phase</th>
                  <th scope="col">Time</th>
                  <th scope="col">Share</th>
                </tr>
              </thead>
              <tbody>
                {PHASES.filter(([k]) => p.phases[k] !== undefined).map(([k, label]) => {
                  const ms = p.phases[k] ?? 0;
                  const share = Math.round((100 * ms) / phaseTotal);
                  return (
                    <tr key={k}>
                      <td>{label}</td>
                      <td>{duration(ms)}</td>
                      <td>
                        <span className="share-bar" style={{ width: `${share}%` }} /> {share}%
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <p className="muted">
              Engine: {p.engine ?? '—'}
              {peakMemory > 0 && <> · node memory at most {bytes(peakMemory)}</>}
            </p>
            {samples.length > 1 && (
              <div className="charts">
                <PercentChart
                  title="Node CPU while the query ran"
                  series={[
                    {
                      name: q.instanceId ?? 'node',
                      points: samples.map((s) => ({ t: Date.parse(s.at), v: s.cpuPercent })),
                    },
                  ]}
                />
              </div>
            )}
          </>
        )}
      </section>

      {q.optimizedPlan !== null && (
        <section aria-labelledby="plan-heading">
          <h2 id="plan-heading">Optimized plan</h2>
          <pre className="code" data-testid="query-plan">
            {q.optimizedPlan}
          </pre>
        </section>
      )}
    </Page>
  );
}
