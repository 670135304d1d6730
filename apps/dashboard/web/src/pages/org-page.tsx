/** An organization: its workspaces (and naming a new one), its members and invitations. */
import { useState, type FormEvent } from 'react';
import type { CallOutput } from '@ferry/api';
import { useAction, useLoad } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import {
  Badge,
  CodeBlock,
  ErrorAlert,
  Field,
  Loading,
  Notice,
  Page,
  Select,
  Time,
} from '../ui.tsx';

export function OrgPage(props: { orgId: string }) {
  const { api } = useSession();
  const { orgId } = props;
  const org = useLoad((signal) => api.call('orgs.get', { params: { orgId }, signal }), [orgId]);
  const workspaces = useLoad(
    (signal) => api.call('workspaces.list', { params: { orgId }, query: { limit: 100 }, signal }),
    [orgId],
  );
  const isAdmin = org.data?.role === 'admin';
  const [wsName, setWsName] = useState('');
  const createWs = useAction(async () => {
    const ws = await api.call('workspaces.create', { params: { orgId }, body: { name: wsName } });
    navigate(`/workspaces/${ws.id}/connect`);
  });
  const submitWs = (e: FormEvent) => {
    e.preventDefault();
    void createWs.run();
  };
  if (org.error !== undefined)
    return (
      <Page title="Organization">
        <ErrorAlert error={org.error} />
      </Page>
    );
  if (org.data === undefined) return <Loading what="the organization" />;
  const list = workspaces.data?.items ?? [];
  return (
    <Page
      title={org.data.name}
      lead={`You are ${org.data.role ?? 'not a member'} of this organization.`}
    >
      <section aria-labelledby="ws-heading">
        <h2 id="ws-heading">Workspaces</h2>
        <ErrorAlert error={workspaces.error} />
        {list.length === 0 && !workspaces.loading && (
          <Notice>No workspaces yet. Name your first one below.</Notice>
        )}
        {list.length > 0 && (
          <table className="table">
            <caption className="visually-hidden">Workspaces</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Your role</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.map((w) => (
                <tr key={w.id}>
                  <td>
                    <Link to={`/workspaces/${w.id}`}>{w.name}</Link>
                  </td>
                  <td>
                    <Badge value={w.state} />
                  </td>
                  <td>{w.role ?? '—'}</td>
                  <td>
                    <Time at={w.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {isAdmin && (
          <form className="card form" onSubmit={submitWs} aria-labelledby="new-ws-heading">
            <h3 id="new-ws-heading">Name a new workspace</h3>
            <p className="muted">
              A workspace is where clusters run and queries happen, connected to one AWS account.
              You can rename it later in its settings.
            </p>
            <Field
              label="Workspace name"
              name="workspaceName"
              value={wsName}
              onChange={setWsName}
              required
              placeholder="analytics-prod"
            />
            <ErrorAlert error={createWs.error} title="Could not create the workspace" />
            <button className="button" type="submit" disabled={createWs.busy}>
              Create workspace and connect AWS
            </button>
          </form>
        )}
      </section>
      <OrgMembers orgId={orgId} isAdmin={isAdmin} />
    </Page>
  );
}

type Invitation = CallOutput<'orgs.invitations.create'>;

function OrgMembers(props: { orgId: string; isAdmin: boolean }) {
  const { api, user } = useSession();
  const { orgId } = props;
  const members = useLoad(
    (signal) => api.call('orgs.members.list', { params: { orgId }, query: { limit: 100 }, signal }),
    [orgId],
  );
  const invitations = useLoad(
    async (signal) =>
      props.isAdmin
        ? (
            await api.call('orgs.invitations.list', {
              params: { orgId },
              query: { limit: 100 },
              signal,
            })
          ).items
        : [],
    [orgId, props.isAdmin],
  );
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'admin' | 'member'>('member');
  const [created, setCreated] = useState<Invitation | undefined>(undefined);
  const invite = useAction(async () => {
    setCreated(
      await api.call('orgs.invitations.create', { params: { orgId }, body: { email, role } }),
    );
    setEmail('');
    invitations.reload();
  });
  const changeRole = useAction(async (userId: string, newRole: 'admin' | 'member') => {
    await api.call('orgs.members.update', { params: { orgId, userId }, body: { role: newRole } });
    members.reload();
  });
  const remove = useAction(async (userId: string) => {
    await api.call('orgs.members.remove', { params: { orgId, userId } });
    members.reload();
  });
  const revoke = useAction(async (invitationId: string) => {
    await api.call('orgs.invitations.revoke', { params: { orgId, invitationId } });
    invitations.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void invite.run();
  };
  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <ErrorAlert error={members.error ?? changeRole.error ?? remove.error} />
      <table className="table">
        <caption className="visually-hidden">Organization members</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Joined</th>
            {props.isAdmin && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {(members.data?.items ?? []).map((m) => (
            <tr key={m.userId}>
              <td>{m.name}</td>
              <td>{m.email}</td>
              <td>
                {props.isAdmin && m.userId !== user.id ? (
                  <label>
                    <span className="visually-hidden">Role of {m.name}</span>
                    <select
                      value={m.role}
                      onChange={(e) =>
                        void changeRole.run(m.userId, e.target.value as 'admin' | 'member')
                      }
                    >
                      <option value="admin">admin</option>
                      <option value="member">member</option>
                    </select>
                  </label>
                ) : (
                  m.role
                )}
              </td>
              <td>
                <Time at={m.joinedAt} />
              </td>
              {props.isAdmin && (
                <td>
                  {m.userId !== user.id && (
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
      {props.isAdmin && (
        <>
          <form className="card form inline" onSubmit={submit} aria-labelledby="invite-heading">
            <h3 id="invite-heading">Invite someone</h3>
            <Field
              label="Email"
              name="inviteEmail"
              type="email"
              value={email}
              onChange={setEmail}
              required
            />
            <Select
              label="Role"
              name="inviteRole"
              value={role}
              options={['member', 'admin']}
              onChange={(v) => setRole(v as 'admin' | 'member')}
            />
            <button className="button" type="submit" disabled={invite.busy}>
              Create invitation
            </button>
          </form>
          <ErrorAlert error={invite.error} title="Could not invite" />
          {created !== undefined && (
            <div className="card">
              <Notice kind="success">
                Invitation for {created.invitation.email} created. No mail is sent: give them this
                link (it works once, until <Time at={created.invitation.expiresAt} />
                ).
              </Notice>
              <CodeBlock label="Invitation link" value={created.url} />
            </div>
          )}
          <h3>Invitations</h3>
          {(invitations.data ?? []).length === 0 ? (
            <p className="muted">No invitations.</p>
          ) : (
            <table className="table">
              <caption className="visually-hidden">Invitations</caption>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {(invitations.data ?? []).map((i) => {
                  const status =
                    i.acceptedAt !== null
                      ? 'accepted'
                      : i.revokedAt !== null
                        ? 'revoked'
                        : 'pending';
                  return (
                    <tr key={i.id}>
                      <td>{i.email}</td>
                      <td>{i.role}</td>
                      <td>{status}</td>
                      <td>
                        <Time at={i.expiresAt} />
                      </td>
                      <td>
                        {status === 'pending' && (
                          <button
                            type="button"
                            className="button small secondary"
                            onClick={() => void revoke.run(i.id)}
                          >
                            Revoke<span className="visually-hidden"> invitation for {i.email}</span>
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
