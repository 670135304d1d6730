/**
 * The ops team's setup link, without signing in: the same instructions as the connect page
 * (Deploy to AWS, the template, the CLI command). The token is in the fragment.
 */
import { useRef, useState } from 'react';
import { createApi } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { fragmentToken } from '../router.tsx';
import { CodeBlock, ErrorAlert, Loading, Page } from '../ui.tsx';

export function OpsSetupPage() {
  const token = useRef(fragmentToken()).current;
  const setup = useLoad(
    async (signal) =>
      token === undefined
        ? Promise.reject(
            new Error('This page needs the setup link you were sent (it ends in #token=…).'),
          )
        : createApi().call('awsSetup.link', { query: { token }, signal }),
    [token],
  );
  const [hrefs] = useState(() => new Map<string, string>());
  const href = (key: string, text: string, type: string) => {
    if (!hrefs.has(key)) hrefs.set(key, URL.createObjectURL(new Blob([text], { type })));
    return hrefs.get(key)!;
  };
  const i = setup.data;
  return (
    <Page
      title="Connect an AWS account to ferry"
      lead="Someone on your team asked you to create this CloudFormation stack. It creates a VPC (or uses yours), security groups and three least-privilege IAM roles that ferry assumes with an external ID. This link grants nothing in ferry."
    >
      <ErrorAlert error={setup.error} title="This setup link does not work" />
      {setup.loading && <Loading what="the instructions" />}
      {i !== undefined && (
        <>
          <section className="card" aria-labelledby="ops-deploy-heading">
            <h2 id="ops-deploy-heading">Create the stack</h2>
            <p>
              Stack <code>{i.stackName}</code> in <code>{i.region}</code>, external ID{' '}
              <code>{i.externalId}</code>.
            </p>
            <p>
              <a
                className="button primary-large"
                href={i.quickCreateUrl}
                target="_blank"
                rel="noopener noreferrer"
              >
                Deploy to AWS
                <span className="visually-hidden">
                  {' '}
                  (opens the CloudFormation console in a new tab)
                </span>
              </a>
            </p>
            <p className="muted">
              Review the parameters, tick the IAM acknowledgement and create. The stack reports its
              progress to ferry by itself; nothing to send back.
            </p>
          </section>
          <section className="card" aria-labelledby="ops-other-heading">
            <h2 id="ops-other-heading">Or with your own tools</h2>
            <p>
              The template:{' '}
              <a
                href={href('yaml', i.templateYaml, 'application/yaml')}
                download={`${i.stackName}.yaml`}
              >
                YAML
              </a>{' '}
              ·{' '}
              <a
                href={href('json', i.templateJson, 'application/json')}
                download={`${i.stackName}.json`}
              >
                JSON
              </a>
            </p>
            <CodeBlock label="AWS CLI command" value={i.createStackCommand} />
            <CodeBlock
              label="Parameters"
              value={i.parameters.map((p) => `${p.ParameterKey}=${p.ParameterValue}`).join('\n')}
            />
          </section>
        </>
      )}
    </Page>
  );
}
