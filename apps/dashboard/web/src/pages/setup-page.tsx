/** First start: the printed `/setup#token=…` link creates the instance admin. */
import { useState, type FormEvent } from 'react';
import { createApi } from '../api.ts';
import { useAction } from '../hooks.ts';
import { fragmentToken, Link } from '../router.tsx';
import { ErrorAlert, Field, Notice, Page } from '../ui.tsx';

export function SetupPage() {
  const [token] = useState(fragmentToken);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState<string | undefined>(undefined);
  const setup = useAction(async () => {
    const user = await createApi().call('auth.setup', {
      body: { token: token ?? '', name, password, ...(email === '' ? {} : { email }) },
    });
    setDone(user.email);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void setup.run();
  };
  if (done !== undefined) {
    return (
      <Page title="Instance admin created">
        <Notice kind="success">
          {done} is the instance admin. Sign in to create your organization and first workspace.
        </Notice>
        <p>
          <Link to="/sign-in" className="button">
            Sign in
          </Link>
        </p>
      </Page>
    );
  }
  return (
    <Page
      title="Set up ferry"
      lead="Create the instance admin: the first account of this installation. The link printed by the server works once, for 24 hours."
    >
      {token === undefined ? (
        <ErrorAlert error="This page needs the setup link the server printed at its first start (it ends in #token=…)." />
      ) : (
        <form className="card form" onSubmit={submit} aria-label="Create the instance admin">
          <Field
            label="Email"
            name="email"
            type="email"
            value={email}
            onChange={setEmail}
            autoComplete="email"
            hint="Leave empty if the server was started with --bootstrap-admin; that address is used."
          />
          <Field
            label="Name"
            name="name"
            value={name}
            onChange={setName}
            required
            autoComplete="name"
          />
          <Field
            label="Password"
            name="password"
            type="password"
            value={password}
            onChange={setPassword}
            required
            minLength={12}
            autoComplete="new-password"
            hint="At least 12 characters."
          />
          <ErrorAlert error={setup.error} title="Setup failed" />
          <button className="button" type="submit" disabled={setup.busy}>
            {setup.busy ? 'Creating…' : 'Create admin'}
          </button>
        </form>
      )}
    </Page>
  );
}
