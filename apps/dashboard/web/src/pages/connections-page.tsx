/**
 * A workspace's data connections (S3 buckets and Kinesis streams in any account): name,
 * what it reaches, how it authenticates, its state and when it was last tested; each links
 * to its page, and a button starts a new one.
 */
import { useLoad } from '../hooks.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.tsx';
import { targetText } from '../connection-parts.tsx';
import { Badge, ErrorAlert, Loading, Notice, Page, Time } from '../ui.tsx';

export function ConnectionsPage(props: { workspaceId: string }) {
  const { api } = useSession();
  const { workspaceId } = props;
  const connections = useLoad(
    (signal) =>
      api.call('connections.list', { params: { workspaceId }, query: { limit: 100 }, signal }),
    [workspaceId],
  );
  const items = connections.data?.items ?? [];
  return (
    <Page
      title="Connections"
      lead="Data in S3 buckets and Kinesis streams of any AWS account, reached through a role its owner creates for ferry. Each is tested before it is saved, and again every day."
      actions={
        <Link to={`/workspaces/${workspaceId}/new-connection`} className="button">
          New connection
        </Link>
      }
    >
      <ErrorAlert error={connections.error} />
      {connections.data === undefined && connections.error === undefined ? (
        <Loading what="the connections" />
      ) : items.length === 0 ? (
        <Notice>No connections yet. A new connection starts with the policies to copy.</Notice>
      ) : (
        <div className="table-scroll">
          <table className="table" data-testid="connections-table">
            <caption className="visually-hidden">Connections</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Reaches</th>
                <th scope="col">Authentication</th>
                <th scope="col">State</th>
                <th scope="col">Last test</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/workspaces/${workspaceId}/connections/${c.name}`}>{c.name}</Link>
                  </td>
                  <td>{c.target.type === 's3' ? 'S3' : 'Kinesis'}</td>
                  <td>
                    <code>{targetText(c.target)}</code>
                  </td>
                  <td>{c.auth.kind === 'role' ? 'Role' : 'Access keys (not recommended)'}</td>
                  <td>
                    <Badge value={c.state} />
                  </td>
                  <td>
                    <Time at={c.lastTest?.testedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>
  );
}
