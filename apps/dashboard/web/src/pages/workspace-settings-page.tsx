/** A workspace's settings: name (renaming), description, default idle timeout; deletion. */
import { useEffect, useState, type FormEvent } from 'react';
import { useAction, useLoad } from '../hooks.ts';
import { WORKSPACE_CHANGED } from '../layout.tsx';
import { navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { ErrorAlert, Field, Loading, Notice, Page } from '../ui.tsx';

export function WorkspaceSettingsPage(props: { workspaceId: string }) {
  const { api } = useSession();
  const { workspaceId } = props;
  const ws = useLoad(
    (signal) => api.call('workspaces.get', { params: { workspaceId }, signal }),
    [workspaceId],
  );
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [idle, setIdle] = useState('');
  const [saved, setSaved] = useState(false);
  const [confirm, setConfirm] = useState('');
  useEffect(() => {
    if (ws.data === undefined) return;
    setName(ws.data.name);
    setDescription(ws.data.description);
    setIdle(String(ws.data.defaultIdleTimeoutMinutes));
  }, [ws.data]);
  const save = useAction(async () => {
    setSaved(false);
    await api.call('workspaces.update', {
      params: { workspaceId },
      body: { name, description, defaultIdleTimeoutMinutes: Number(idle) },
    });
    setSaved(true);
    ws.reload();
    window.dispatchEvent(new Event(WORKSPACE_CHANGED));
  });
  const remove = useAction(async () => {
    const orgId = ws.data!.orgId;
    await api.call('workspaces.delete', { params: { workspaceId } });
    navigate(`/orgs/${orgId}`);
  });
  if (ws.error !== undefined)
    return (
      <Page title="Settings">
        <ErrorAlert error={ws.error} />
      </Page>
    );
  if (ws.data === undefined) return <Loading what="the settings" />;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };
  return (
    <Page title="Workspace settings">
      <form className="card form" onSubmit={submit} aria-labelledby="general-heading">
        <h2 id="general-heading">General</h2>
        <Field label="Name" name="name" value={name} onChange={setName} required />
        <Field
          label="Description"
          name="description"
          value={description}
          onChange={setDescription}
        />
        <Field
          label="Default idle timeout (minutes)"
          name="defaultIdleTimeoutMinutes"
          type="number"
          value={idle}
          onChange={setIdle}
          hint="Clusters started without their own timeout stop after this long without work (10 to 10080)."
        />
        <ErrorAlert error={save.error} title="Not saved" />
        {saved && <Notice kind="success">Saved.</Notice>}
        <button className="button" type="submit" disabled={save.busy}>
          Save settings
        </button>
      </form>
      <section className="card danger-zone" aria-labelledby="delete-heading">
        <h2 id="delete-heading">Delete this workspace</h2>
        <p>Its service accounts and their tokens are revoked. Stop its clusters first.</p>
        <Field
          label={`Type the workspace's name (${ws.data.name}) to confirm`}
          name="confirmDelete"
          value={confirm}
          onChange={setConfirm}
        />
        <ErrorAlert error={remove.error} title="Not deleted" />
        <button
          type="button"
          className="button danger"
          disabled={confirm !== ws.data.name || remove.busy}
          onClick={() => void remove.run()}
        >
          Delete workspace
        </button>
      </section>
    </Page>
  );
}
