/**
 * An invitation link (`/invitations#token=…`): a signed-in user accepts it; someone new
 * creates their account from it (which joins the organization) and is signed in.
 */
import { useRef, useState, type FormEvent } from 'react';
import type { User } from '@ferry/api';
import { createApi } from '../api.ts';
import { useAction } from '../hooks.ts';
import { fragmentToken, Link, navigate } from '../router.tsx';
import type { Session } from '../session.tsx';
import { ErrorAlert, Field, Notice, Page } from '../ui.tsx';

export function InvitationPage(props: {
  session: Session | null;
  onSignedIn: (s: { user: User; csrfToken: string }) => void;
}) {
  const token = useRef(fragmentToken()).current;
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [joined, setJoined] = useState<string | undefined>(undefined);
  const accept = useAction(async () => {
    const r = await props.session!.api.call('invitations.accept', { body: { token: token ?? '' } });
    setJoined(r.orgId);
  });
  const signup = useAction(async () => {
    const api = createApi();
    const user = await api.call('auth.signup', {
      body: { invitationToken: token ?? '', name, password },
    });
    const s = await api.call('auth.login', { body: { email: user.email, password } });
    window.history.replaceState(null, '', '/invitations');
    props.onSignedIn({ user: s.user, csrfToken: s.csrfToken });
    const me = await createApi(s.csrfToken).call('users.me');
    navigate(me.orgs[0] !== undefined ? `/orgs/${me.orgs[0].orgId}` : '/', { replace: true });
  });
  if (token === undefined) {
    return (
      <Page title="Invitation">
        <ErrorAlert error="This page needs an invitation link (it ends in #token=…)." />
      </Page>
    );
  }
  if (joined !== undefined) {
    return (
      <Page title="Invitation accepted">
        <Notice kind="success">You joined the organization.</Notice>
        <Link to={`/orgs/${joined}`} className="button">
          Open the organization
        </Link>
      </Page>
    );
  }
  if (props.session !== null) {
    return (
      <Page title="Join an organization" lead={`Signed in as ${props.session.user.email}.`}>
        <div className="card form">
          <p>The invitation must be addressed to this email.</p>
          <ErrorAlert error={accept.error} title="Could not accept" />
          <button
            className="button"
            type="button"
            disabled={accept.busy}
            onClick={() => void accept.run()}
          >
            Accept invitation
          </button>
        </div>
      </Page>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void signup.run();
  };
  return (
    <Page
      title="Join an organization"
      lead="Create your ferry account to accept the invitation. Already have one? Sign in, then open the link again."
    >
      <form className="card form" onSubmit={submit} aria-label="Create your account">
        <Field
          label="Your name"
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
        <ErrorAlert error={signup.error} title="Could not join" />
        <button className="button" type="submit" disabled={signup.busy}>
          {signup.busy ? 'Joining…' : 'Create account and join'}
        </button>
        <p>
          <Link to={`/sign-in?next=${encodeURIComponent('/invitations' + window.location.hash)}`}>
            Sign in instead
          </Link>
        </p>
      </form>
    </Page>
  );
}
