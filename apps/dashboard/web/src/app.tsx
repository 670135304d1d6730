/**
 * The dashboard: public pages (first-start setup, sign-in, sign-in links, invitations, the
 * ops team's setup instructions) and, behind sign-in, the signed-in layout with its pages.
 */
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { User } from '@ferry/api';
import { createApi, isUnauthenticated } from './api.ts';
import { Layout } from './layout.tsx';
import { matchPath, navigate, useLocation } from './router.tsx';
import { SessionContext, type Session } from './session.tsx';
import { Loading } from './ui.tsx';
import { SetupPage } from './pages/setup-page.tsx';
import { SignInPage } from './pages/sign-in-page.tsx';
import { SignInLinkPage } from './pages/sign-in-link-page.tsx';
import { InvitationPage } from './pages/invitation-page.tsx';
import { OpsSetupPage } from './pages/ops-setup-page.tsx';
import { HomePage } from './pages/home-page.tsx';
import { OrgPage } from './pages/org-page.tsx';
import { AuditPage } from './pages/audit-page.tsx';
import { WorkspacePage } from './pages/workspace-page.tsx';
import { ConnectAwsPage } from './pages/connect-aws-page.tsx';
import { ClustersPage } from './pages/clusters-page.tsx';
import { ClusterPage } from './pages/cluster-page.tsx';
import { QueriesPage } from './pages/queries-page.tsx';
import { QueryPage } from './pages/query-page.tsx';
import { ConnectionsPage } from './pages/connections-page.tsx';
import { NewConnectionPage } from './pages/new-connection-page.tsx';
import { ConnectionPage } from './pages/connection-page.tsx';
import { WorkspaceSettingsPage } from './pages/workspace-settings-page.tsx';
import { WorkspaceMembersPage } from './pages/workspace-members-page.tsx';
import { ServiceAccountsPage } from './pages/service-accounts-page.tsx';
import { DevicePage } from './pages/device-page.tsx';
import { NotFoundPage } from './pages/not-found-page.tsx';

/** A signed-in session as the server reported it. */
interface SignedIn {
  user: User;
  csrfToken: string;
}

type Render = (params: Record<string, string>) => ReactNode;

/** Pages anyone may open. */
const PUBLIC_ROUTES: [string, Render][] = [
  ['/setup', () => <SetupPage />],
  ['/ops-setup', () => <OpsSetupPage />],
];

/** Pages behind sign-in. */
const ROUTES: [string, Render][] = [
  ['/', () => <HomePage />],
  ['/device', () => <DevicePage />],
  ['/orgs/:orgId', (p) => <OrgPage orgId={p.orgId!} />],
  ['/orgs/:orgId/audit', (p) => <AuditPage orgId={p.orgId!} />],
  ['/workspaces/:workspaceId', (p) => <WorkspacePage workspaceId={p.workspaceId!} />],
  ['/workspaces/:workspaceId/connect', (p) => <ConnectAwsPage workspaceId={p.workspaceId!} />],
  ['/workspaces/:workspaceId/clusters', (p) => <ClustersPage workspaceId={p.workspaceId!} />],
  [
    '/workspaces/:workspaceId/clusters/:clusterId',
    (p) => <ClusterPage workspaceId={p.workspaceId!} clusterId={p.clusterId!} />,
  ],
  ['/workspaces/:workspaceId/queries', (p) => <QueriesPage workspaceId={p.workspaceId!} />],
  [
    '/workspaces/:workspaceId/queries/:queryId',
    (p) => <QueryPage workspaceId={p.workspaceId!} queryId={p.queryId!} />,
  ],
  ['/workspaces/:workspaceId/connections', (p) => <ConnectionsPage workspaceId={p.workspaceId!} />],
  [
    '/workspaces/:workspaceId/new-connection',
    (p) => <NewConnectionPage workspaceId={p.workspaceId!} />,
  ],
  [
    '/workspaces/:workspaceId/connections/:connectionName',
    (p) => <ConnectionPage workspaceId={p.workspaceId!} connectionName={p.connectionName!} />,
  ],
  [
    '/workspaces/:workspaceId/members',
    (p) => <WorkspaceMembersPage workspaceId={p.workspaceId!} />,
  ],
  [
    '/workspaces/:workspaceId/service-accounts',
    (p) => <ServiceAccountsPage workspaceId={p.workspaceId!} />,
  ],
  [
    '/workspaces/:workspaceId/settings',
    (p) => <WorkspaceSettingsPage workspaceId={p.workspaceId!} />,
  ],
];

function route(table: [string, Render][], pathname: string): ReactNode | undefined {
  for (const [pattern, render] of table) {
    const params = matchPath(pattern, pathname);
    if (params !== null) return render(params);
  }
  return undefined;
}

export function App() {
  const { pathname } = useLocation();
  const [signedIn, setSignedIn] = useState<SignedIn | null | undefined>(undefined);

  useEffect(() => {
    const ctl = new AbortController();
    createApi()
      .call('auth.session', { signal: ctl.signal })
      .then(
        (s) => setSignedIn({ user: s.user, csrfToken: s.csrfToken }),
        (err: unknown) => {
          if (!ctl.signal.aborted) setSignedIn(null);
          if (!isUnauthenticated(err)) console.warn('session check failed', err);
        },
      );
    return () => ctl.abort();
  }, []);

  const session = useMemo<Session | null>(() => {
    if (signedIn === null || signedIn === undefined) return null;
    const api = createApi(signedIn.csrfToken);
    return {
      user: signedIn.user,
      api,
      async signOut() {
        await api.call('auth.logout').catch(() => undefined);
        setSignedIn(null);
        navigate('/sign-in');
      },
    };
  }, [signedIn]);

  const onSignedIn = (s: SignedIn, next = '/') => {
    setSignedIn(s);
    navigate(next, { replace: true });
  };

  const open = route(PUBLIC_ROUTES, pathname);
  if (open !== undefined)
    return (
      <main id="main" className="public">
        {open}
      </main>
    );
  if (pathname === '/sign-in-link')
    return (
      <main id="main" className="public">
        <SignInLinkPage onSignedIn={onSignedIn} />
      </main>
    );
  if (pathname === '/invitations') {
    return (
      <main id="main" className="public">
        <InvitationPage session={session} onSignedIn={(s) => setSignedIn(s)} />
      </main>
    );
  }
  if (signedIn === undefined)
    return (
      <main id="main" className="public">
        <Loading />
      </main>
    );
  if (pathname === '/sign-in' || session === null) {
    // Back to the page asked for, with its query and fragment (a device code rides in one).
    const next =
      pathname === '/sign-in'
        ? new URLSearchParams(window.location.search).get('next')
        : pathname + window.location.search + window.location.hash;
    return (
      <main id="main" className="public">
        <SignInPage
          onSignedIn={(s) => onSignedIn(s, next !== null && next.startsWith('/') ? next : '/')}
        />
      </main>
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Layout>{route(ROUTES, pathname) ?? <NotFoundPage />}</Layout>
    </SessionContext.Provider>
  );
}
