/** An organization's audit log, newest first, with filters and paging. */
import { useState, type FormEvent } from 'react';
import type { CallInput, CallOutput } from '@ferry/api';
import { useAction, useLoad } from '../hooks.ts';
import { useSession } from '../session.tsx';
import { Badge, ErrorAlert, Field, Page, Select, Time } from '../ui.tsx';

type Query = NonNullable<CallInput<'audit.list'>['query']>;
type Entry = CallOutput<'audit.list'>['items'][number];

export function AuditPage(props: { orgId: string }) {
  const { api } = useSession();
  const { orgId } = props;
  const workspaces = useLoad(
    (signal) => api.call('workspaces.list', { params: { orgId }, query: { limit: 100 }, signal }),
    [orgId],
  );
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [outcome, setOutcome] = useState('');
  const [workspaceId, setWorkspaceId] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [applied, setApplied] = useState<Query>({ limit: 50 });
  const [more, setMore] = useState<{ items: Entry[]; cursor: string | null }>({
    items: [],
    cursor: null,
  });
  const page = useLoad(
    async (signal) => {
      const r = await api.call('audit.list', { params: { orgId }, query: applied, signal });
      setMore({ items: [], cursor: r.nextCursor });
      return r;
    },
    [orgId, applied],
  );
  const loadMore = useAction(async () => {
    if (more.cursor === null) return;
    const r = await api.call('audit.list', {
      params: { orgId },
      query: { ...applied, cursor: more.cursor },
    });
    setMore((m) => ({ items: [...m.items, ...r.items], cursor: r.nextCursor }));
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q: Query = { limit: 50 };
    if (action.trim() !== '') q.action = action.trim();
    if (actor.trim() !== '') q.actor = actor.trim();
    if (outcome !== '') q.outcome = outcome as Query['outcome'];
    if (workspaceId !== '') q.workspaceId = workspaceId;
    if (since !== '') q.since = new Date(since).toISOString();
    if (until !== '') q.until = new Date(until).toISOString();
    setApplied(q);
  };
  const entries = [...(page.data?.items ?? []), ...more.items];
  return (
    <Page title="Audit log" lead="Every change and every AWS role ferry assumed, newest first.">
      <form className="card form filters" onSubmit={submit} aria-label="Filter the audit log">
        <Field
          label="Action"
          name="action"
          value={action}
          onChange={setAction}
          placeholder="workspace.* or aws.sts.*"
          hint="An action, or a prefix ending in *."
        />
        <Field
          label="Actor id"
          name="actor"
          value={actor}
          onChange={setActor}
          placeholder="usr_… or sa_…"
        />
        <Select
          label="Outcome"
          name="outcome"
          value={outcome}
          options={[{ value: '', label: 'any' }, 'success', 'denied', 'failed']}
          onChange={setOutcome}
        />
        <Select
          label="Workspace"
          name="workspaceId"
          value={workspaceId}
          options={[
            { value: '', label: 'any' },
            ...(workspaces.data?.items ?? []).map((w) => ({ value: w.id, label: w.name })),
          ]}
          onChange={setWorkspaceId}
        />
        <Field label="Since" name="since" type="datetime-local" value={since} onChange={setSince} />
        <Field label="Until" name="until" type="datetime-local" value={until} onChange={setUntil} />
        <button className="button" type="submit">
          Apply filters
        </button>
      </form>
      <ErrorAlert error={page.error ?? loadMore.error} />
      <div className="table-scroll">
        <table className="table">
          <caption className="visually-hidden">Audit entries</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Actor</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>
                  <Time at={e.occurredAt} />
                </td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  <Badge value={e.outcome} />
                </td>
                <td>
                  {e.actorType}
                  {e.actorId !== null && (
                    <>
                      {' '}
                      <code>{e.actorId}</code>
                    </>
                  )}
                </td>
                <td>{e.targetType !== null ? `${e.targetType} ${e.targetId ?? ''}` : '—'}</td>
                <td className="details">
                  {e.awsRoleArn !== null && <div>role {e.awsRoleArn}</div>}
                  {Object.keys(e.details).length > 0 && <code>{JSON.stringify(e.details)}</code>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {entries.length === 0 && !page.loading && <p className="muted">No entries match.</p>}
      {more.cursor !== null && (
        <button
          type="button"
          className="button secondary"
          disabled={loadMore.busy}
          onClick={() => void loadMore.run()}
        >
          Load older entries
        </button>
      )}
    </Page>
  );
}
