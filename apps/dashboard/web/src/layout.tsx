/**
 * The signed-in frame: a skip link, the header with the user, a navigation for the current
 * organization or workspace, and the banner while a workspace is not connected to AWS.
 */
import { useEffect, type ReactNode } from 'react';
import { useLoad } from './hooks.ts';
import { Link, useLocation } from './router.tsx';
import { useSession } from './session.tsx';

function NavLink(props: { to: string; children: ReactNode }) {
  return (
    <li>
      <Link to={props.to}>{props.children}</Link>
    </li>
  );
}

/** The event a page fires after changing the current workspace. */
export const WORKSPACE_CHANGED = 'ferry:workspace-changed';

export function Layout(props: { children: ReactNode }) {
  const { user, api, signOut } = useSession();
  const { pathname } = useLocation();
  const workspaceId = pathname.startsWith('/workspaces/') ? pathname.split('/')[2] : undefined;
  const orgFromPath = pathname.startsWith('/orgs/') ? pathname.split('/')[2] : undefined;
  const workspace = useLoad(
    async (signal) =>
      workspaceId === undefined
        ? undefined
        : api.call('workspaces.get', { params: { workspaceId }, signal }),
    [workspaceId, pathname],
  );
  // A page that changed the workspace (a rename) says so; the navigation follows.
  const { reload } = workspace;
  useEffect(() => {
    window.addEventListener(WORKSPACE_CHANGED, reload);
    return () => window.removeEventListener(WORKSPACE_CHANGED, reload);
  }, [reload]);
  const orgId = orgFromPath ?? workspace.data?.orgId;
  const ws = workspace.data;

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="ferry home">
          <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <rect width="32" height="32" rx="6" fill="#1d4ed8" />
            <path d="M6 20h20l-3 5H9z" fill="#fff" />
            <path d="M15 7v11h-6z" fill="#bfdbfe" />
            <path d="M17 9v9h6z" fill="#fff" />
          </svg>
          <span>ferry</span>
        </Link>
        <div className="topbar-user">
          <span className="user-name" title={user.email}>
            {user.name}
          </span>
          <button type="button" className="button small secondary" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div className="body">
        <nav className="sidebar" aria-label="Main">
          <ul>
            <NavLink to="/">Organizations</NavLink>
          </ul>
          {orgId !== undefined && (
            <>
              <h2 className="nav-heading">Organization</h2>
              <ul>
                <NavLink to={`/orgs/${orgId}`}>Workspaces &amp; members</NavLink>
                <NavLink to={`/orgs/${orgId}/audit`}>Audit log</NavLink>
              </ul>
            </>
          )}
          {ws !== undefined && (
            <>
              <h2 className="nav-heading">Workspace: {ws.name}</h2>
              <ul>
                <NavLink to={`/workspaces/${ws.id}`}>Overview</NavLink>
                <NavLink to={`/workspaces/${ws.id}/connect`}>AWS connection</NavLink>
                <NavLink to={`/workspaces/${ws.id}/clusters`}>Clusters</NavLink>
                <NavLink to={`/workspaces/${ws.id}/queries`}>Queries</NavLink>
                <NavLink to={`/workspaces/${ws.id}/connections`}>Connections</NavLink>
                <NavLink to={`/workspaces/${ws.id}/members`}>Members</NavLink>
                <NavLink to={`/workspaces/${ws.id}/service-accounts`}>Service accounts</NavLink>
                <NavLink to={`/workspaces/${ws.id}/settings`}>Settings</NavLink>
              </ul>
            </>
          )}
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          {ws !== undefined && ws.state !== 'Active' && !pathname.endsWith('/connect') && (
            <div className="banner" role="region" aria-label="Workspace not connected">
              <p>
                <strong>{ws.name}</strong> is not connected to AWS yet ({ws.state}). Clusters need a
                connected workspace.
              </p>
              <Link to={`/workspaces/${ws.id}/connect`} className="button">
                Connect AWS
              </Link>
            </div>
          )}
          {props.children}
        </main>
      </div>
    </div>
  );
}
