/** Home: the caller's organizations, and creating one (the first step of onboarding). */
import { useState, type FormEvent } from 'react';
import { useAction, useLoad } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorAlert, Field, Loading, Page } from '../ui.tsx';

export function HomePage() {
  const { api, user } = useSession();
  const me = useLoad((signal) => api.call('users.me', { signal }), []);
  const [name, setName] = useState('');
  const create = useAction(async () => {
    const org = await api.call('orgs.create', { body: { name } });
    navigate(`/orgs/${org.id}`);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  const orgs = me.data?.orgs ?? [];
  return (
    <Page
      title={`Welcome, ${user.name}`}
      lead="Organizations hold workspaces; a workspace connects to one AWS account."
    >
      <ErrorAlert error={me.error} />
      {me.loading && me.data === undefined ? (
        <Loading what="your organizations" />
      ) : orgs.length === 0 ? (
        <ol className="steps" aria-label="Getting started">
          <li className="current">Create your organization</li>
          <li>Name your first workspace</li>
          <li>Connect it to AWS</li>
          <li>Start a cluster</li>
        </ol>
      ) : (
        <section aria-labelledby="orgs-heading">
          <h2 id="orgs-heading">Your organizations</h2>
          <ul className="card-list">
            {orgs.map((o) => (
              <li key={o.orgId} className="card">
                <Link to={`/orgs/${o.orgId}`}>{o.orgName}</Link>{' '}
                <span className="muted">({o.role})</span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="new-org-heading">
        <h2 id="new-org-heading">
          {orgs.length === 0 ? 'Create your organization' : 'New organization'}
        </h2>
        <form className="card form inline" onSubmit={submit}>
          <Field
            label="Organization name"
            name="orgName"
            value={name}
            onChange={setName}
            required
            placeholder="Acme Analytics"
          />
          <button className="button" type="submit" disabled={create.busy}>
            Create organization
          </button>
        </form>
        <ErrorAlert error={create.error} title="Could not create the organization" />
      </section>
    </Page>
  );
}
