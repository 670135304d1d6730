/**
 * Pieces the connection pages share: what a connection reaches in one line, a test's checks
 * as a table (AWS's error code and, for a missing permission, the statement to add), and the
 * policies the data owner copies.
 */
import type { ConnectionTest, DataConnection, DataConnectionDetail } from '@ferry/api';
import { Badge, CodeBlock } from './ui.tsx';

/** `s3://bucket/prefix` or `kinesis:stream`, with its region. */
export function targetText(target: DataConnection['target']): string {
  if (target.type === 's3')
    return `s3://${target.bucket}/${target.prefix ?? ''} (${target.region})${
      target.writePrefix !== null ? `, writes to ${target.writePrefix}` : ''
    }`;
  return `kinesis:${target.streamArn ?? target.stream} (${target.region})`;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** A connection test's checks, one row each. */
export function ChecksTable(props: { test: ConnectionTest; caption: string }) {
  const { checks } = props.test;
  const count = (outcome: string) => checks.filter((c) => c.outcome === outcome).length;
  return (
    <>
      <p className="muted">
        {count('pass')} passed, {count('fail')} failed, {count('skipped')} skipped.
      </p>
      <div className="table-scroll">
        <table className="table" data-testid="connection-checks">
          <caption className="visually-hidden">{props.caption}</caption>
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Outcome</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {checks.map((c) => (
              <tr key={c.name}>
                <td>{c.name}</td>
                <td>
                  <Badge value={c.outcome} />
                </td>
                <td>
                  {c.message}
                  {c.awsErrorCode !== null && (
                    <>
                      {' '}
                      <code>{c.awsErrorCode}</code>
                    </>
                  )}
                  {c.missingStatement !== null && (
                    <CodeBlock
                      label={`Statement to add for ${c.action ?? c.name}`}
                      value={json(c.missingStatement)}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** The principal, the external ID and the documents to create the role with, each copyable. */
export function PoliciesToCopy(props: { policies: DataConnectionDetail['policies'] }) {
  const p = props.policies;
  return (
    <>
      {p.principalArn !== null && p.externalId !== null && (
        <dl className="facts">
          <div>
            <dt>ferry's principal</dt>
            <dd>
              <code data-testid="connection-principal">{p.principalArn}</code>
            </dd>
          </div>
          <div>
            <dt>External ID</dt>
            <dd>
              <code data-testid="connection-external-id">{p.externalId}</code>
            </dd>
          </div>
          {p.roleName !== null && (
            <div>
              <dt>Suggested role name</dt>
              <dd>
                <code data-testid="connection-role-name">{p.roleName}</code>
              </dd>
            </div>
          )}
        </dl>
      )}
      {p.trustPolicy !== null && (
        <CodeBlock label="Trust policy" value={json(p.trustPolicy)} tall />
      )}
      <CodeBlock label="Permissions policy" value={json(p.permissionsPolicy)} tall />
      {p.cloudFormationTemplate !== null && (
        <CodeBlock label="CloudFormation template" value={json(p.cloudFormationTemplate)} tall />
      )}
      {p.createRoleCommand !== null && (
        <CodeBlock label="AWS CLI commands" value={p.createRoleCommand} tall />
      )}
    </>
  );
}
