/** A workspace's service accounts: create (the secret is shown once), list, revoke. */
import { useState, type FormEvent } from 'react';
import type { CallOutput } from '@ferry/api';
import { useAction, useLoad } from '../hooks.ts';
import { useSession } from '../session.tsx';
import { Badge, CodeBlock, ErrorAlert, Field, Notice, Page, Time } from '../ui.tsx';

export function ServiceAccountsPage(props: { workspaceId: string }) {
  const { api } = useSession();
  const { workspaceId } = props;
  const accounts = useLoad(
    (signal) =>
      api.call('serviceAccounts.list', { params: { workspaceId }, query: { limit: 100 }, signal }),
    [workspaceId],
  );
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CallOutput<'serviceAccounts.create'> | undefined>(
    undefined,
  );
  const create = useAction(async () => {
    setCreated(
      await api.call('serviceAccounts.create', { params: { workspaceId }, body: { name } }),
    );
    setName('');
    accounts.reload();
  });
  const revoke = useAction(async (serviceAccountId: string) => {
    await api.call('serviceAccounts.revoke', { params: { workspaceId, serviceAccountId } });
    accounts.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  return (
    <Page
      title="Service accounts"
      lead="Machine identities for pipelines and services: they exchange their id and secret for short-lived access tokens."
    >
      <ErrorAlert error={accounts.error ?? revoke.error} />
      <table className="table">
        <caption className="visually-hidden">Service accounts</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Client id</th>
            <th scope="col">Scopes</th>
            <th scope="col">Created</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(accounts.data?.items ?? []).map((a) => (
            <tr key={a.id}>
              <td>{a.name}</td>
              <td>
                <code>{a.id}</code>
              </td>
              <td className="scopes">{a.scopes.join(', ')}</td>
              <td>
                <Time at={a.createdAt} />
              </td>
              <td>{a.revokedAt === null ? <Badge value="Active" /> : <Badge value="revoked" />}</td>
              <td>
                {a.revokedAt === null && (
                  <button
                    type="button"
                    className="button small danger"
                    onClick={() => void revoke.run(a.id)}
                  >
                    Revoke<span className="visually-hidden"> {a.name}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="card form inline" onSubmit={submit} aria-labelledby="new-sa-heading">
        <h2 id="new-sa-heading">New service account</h2>
        <Field
          label="Name"
          name="serviceAccountName"
          value={name}
          onChange={setName}
          required
          placeholder="nightly-etl"
        />
        <button className="button" type="submit" disabled={create.busy}>
          Create service account
        </button>
      </form>
      <ErrorAlert error={create.error} title="Could not create" />
      {created !== undefined && (
        <div className="card">
          <Notice kind="warning">
            Copy the secret of {created.serviceAccount.name} now: it is shown once and stored only
            as a hash.
          </Notice>
          <CodeBlock label="Client id" value={created.clientId} />
          <CodeBlock label="Client secret" value={created.clientSecret} />
        </div>
      )}
    </Page>
  );
}
