/** A workspace's overview: its state, live clusters, usage this month, where to go next. */
import { useLoad } from '../hooks.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { Badge, ErrorAlert, Loading, Page, usd } from '../ui.tsx';

export function WorkspacePage(props: { workspaceId: string }) {
  const { api } = useSession();
  const { workspaceId } = props;
  const ws = useLoad(
    (signal) => api.call('workspaces.get', { params: { workspaceId }, signal }),
    [workspaceId],
  );
  const clusters = useLoad(
    (signal) =>
      api.call('compute.list', {
        params: { workspaceId },
        query: { state: 'Starting,Idle,Busy,Stopping', limit: 100 },
        signal,
      }),
    [workspaceId],
  );
  const monthStart = new Date();
  monthStart.setUTCDate(1);
  monthStart.setUTCHours(0, 0, 0, 0);
  const usage = useLoad(
    (signal) =>
      api.call('compute.usage', {
        params: { workspaceId },
        query: { from: monthStart.toISOString() },
        signal,
      }),
    [workspaceId],
  );
  if (ws.error !== undefined)
    return (
      <Page title="Workspace">
        <ErrorAlert error={ws.error} />
      </Page>
    );
  if (ws.data === undefined) return <Loading what="the workspace" />;
  const w = ws.data;
  return (
    <Page title={w.name} lead={w.description !== '' ? w.description : undefined}>
      <dl className="facts">
        <div>
          <dt>State</dt>
          <dd>
            <Badge value={w.state} />
          </dd>
        </div>
        <div>
          <dt>Live clusters</dt>
          <dd>{clusters.data?.items.length ?? '…'}</dd>
        </div>
        <div>
          <dt>Cost this month</dt>
          <dd>{usage.data !== undefined ? usd(usage.data.costUsd) : '…'}</dd>
        </div>
        <div>
          <dt>vCPU-hours this month</dt>
          <dd>{usage.data !== undefined ? usage.data.vcpuHours.toFixed(2) : '…'}</dd>
        </div>
        <div>
          <dt>Default idle timeout</dt>
          <dd>{w.defaultIdleTimeoutMinutes} min</dd>
        </div>
        <div>
          <dt>Your role</dt>
          <dd>{w.role ?? '—'}</dd>
        </div>
      </dl>
      <ErrorAlert error={clusters.error ?? usage.error} />
      <p className="actions">
        {w.state === 'Active' ? (
          <Link to={`/workspaces/${w.id}/clusters`} className="button">
            Clusters
          </Link>
        ) : (
          <Link to={`/workspaces/${w.id}/connect`} className="button">
            Connect AWS
          </Link>
        )}{' '}
        <Link to={`/workspaces/${w.id}/settings`} className="button secondary">
          Settings
        </Link>
      </p>
    </Page>
  );
}
