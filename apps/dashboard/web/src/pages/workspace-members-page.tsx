/** A workspace's members and their roles; adding an organization member to it. */
import { useState, type FormEvent } from 'react';
import { useAction, useLoad } from '../hooks.ts';
import { useSession } from '../session.tsx';
import { ErrorAlert, Loading, Page, Select } from '../ui.tsx';

type Role = 'admin' | 'member';

export function WorkspaceMembersPage(props: { workspaceId: string }) {
  const { api } = useSession();
  const { workspaceId } = props;
  const ws = useLoad(
    (signal) => api.call('workspaces.get', { params: { workspaceId }, signal }),
    [workspaceId],
  );
  const members = useLoad(
    (signal) =>
      api.call('workspaces.members.list', {
        params: { workspaceId },
        query: { limit: 100 },
        signal,
      }),
    [workspaceId],
  );
  const orgId = ws.data?.orgId;
  const orgMembers = useLoad(
    async (signal) =>
      orgId === undefined
        ? []
        : (
            await api.call('orgs.members.list', {
              params: { orgId },
              query: { limit: 100 },
              signal,
            })
          ).items,
    [orgId],
  );
  const isAdmin = ws.data?.role === 'admin';
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Role>('member');
  const set = useAction(async (id: string, r: Role) => {
    await api.call('workspaces.members.set', {
      params: { workspaceId, userId: id },
      body: { role: r },
    });
    members.reload();
  });
  const remove = useAction(async (id: string) => {
    await api.call('workspaces.members.remove', { params: { workspaceId, userId: id } });
    members.reload();
  });
  if (ws.error !== undefined)
    return (
      <Page title="Members">
        <ErrorAlert error={ws.error} />
      </Page>
    );
  if (ws.data === undefined) return <Loading what="the members" />;
  const inWs = new Set((members.data?.items ?? []).map((m) => m.userId));
  const candidates = (orgMembers.data ?? []).filter((m) => !inWs.has(m.userId));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const id = userId !== '' ? userId : candidates[0]?.userId;
    if (id !== undefined) void set.run(id, role);
  };
  return (
    <Page
      title="Workspace members"
      lead="Organization admins are admins of every workspace. Others need to be added here."
    >
      <ErrorAlert error={members.error ?? set.error ?? remove.error} />
      <table className="table">
        <caption className="visually-hidden">Workspace members</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            {isAdmin && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {(members.data?.items ?? []).map((m) => (
            <tr key={m.userId}>
              <td>{m.name}</td>
              <td>{m.email}</td>
              <td>
                {m.viaOrgAdmin || !isAdmin ? (
                  <>
                    {m.role}
                    {m.viaOrgAdmin && <span className="muted"> (organization admin)</span>}
                  </>
                ) : (
                  <label>
                    <span className="visually-hidden">Role of {m.name}</span>
                    <select
                      value={m.role}
                      onChange={(e) => void set.run(m.userId, e.target.value as Role)}
                    >
                      <option value="admin">admin</option>
                      <option value="member">member</option>
                    </select>
                  </label>
                )}
              </td>
              {isAdmin && (
                <td>
                  {!m.viaOrgAdmin && (
                    <button
                      type="button"
                      className="button small danger"
                      onClick={() => void remove.run(m.userId)}
                    >
                      Remove<span className="visually-hidden"> {m.name}</span>
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {isAdmin && candidates.length > 0 && (
        <form className="card form inline" onSubmit={submit} aria-labelledby="add-member-heading">
          <h2 id="add-member-heading">Add an organization member</h2>
          <Select
            label="Member"
            name="userId"
            value={userId !== '' ? userId : (candidates[0]?.userId ?? '')}
            options={candidates.map((m) => ({ value: m.userId, label: `${m.name} (${m.email})` }))}
            onChange={setUserId}
          />
          <Select
            label="Role"
            name="role"
            value={role}
            options={['member', 'admin']}
            onChange={(v) => setRole(v as Role)}
          />
          <button className="button" type="submit" disabled={set.busy}>
            Add to workspace
          </button>
        </form>
      )}
    </Page>
  );
}
