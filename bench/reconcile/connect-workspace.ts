/**
 * Connects one more workspace to a customer account (the fixture's, or one of its
 * `customerAccount()`s), as a customer does: the
 * setup is started through the API, the stack the API describes is created as the
 * customer, and the workspace is awaited until Active. Unlike the e2e fixture's helper it
 * waits as long as it takes (a hundred stacks on a busy machine take their time).
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import type { ConnectedWorkspace } from '../../test/e2e/fixtures/connected-workspace.ts';

type Account = ConnectedWorkspace['customer'];

interface SetupView {
  workspaceState: string;
  status: string;
  reason: string | null;
  revision: string;
  instructions: {
    stackName: string;
    templateUrl: string;
    parameters: { ParameterKey: string; ParameterValue: string }[];
  };
}

async function must<T>(fx: ConnectedWorkspace, method: string, path: string, body?: unknown) {
  const res = await fx.api<T>(method, path, body);
  if (res.status !== 200 && res.status !== 201) {
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

/**
 * Creates the stack as the customer. A busy localcloud may drop the connection or never
 * answer: the call is bounded and repeated, and a stack that the lost call did create is
 * fine (AlreadyExists).
 */
async function createStack(
  fx: ConnectedWorkspace,
  account: Account,
  i: SetupView['instructions'],
): Promise<void> {
  const cfn = new CloudFormationClient(fx.configFor(account));
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await cfn.send(
          new CreateStackCommand({
            StackName: i.stackName,
            TemplateURL: i.templateUrl,
            Parameters: i.parameters,
            Capabilities: ['CAPABILITY_NAMED_IAM'],
          }),
          { abortSignal: AbortSignal.timeout(120_000) },
        );
        return;
      } catch (err) {
        if ((err as Error).name === 'AlreadyExistsException') return;
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
  } finally {
    cfn.destroy();
  }
}

/** Creates a workspace named `name`, connects it to `account`, and answers its id once Active. */
export async function connectWorkspace(
  fx: ConnectedWorkspace,
  name: string,
  account: Account = fx.customer,
  timeoutMs = 900_000,
): Promise<string> {
  const { id } = await must<{ id: string }>(fx, 'POST', `/api/v1/orgs/${fx.orgId}/workspaces`, {
    name,
  });
  const setup = await must<SetupView>(fx, 'POST', `/api/v1/workspaces/${id}/aws-setup`, {
    region: 'us-east-1',
    network: { kind: 'new' },
    allowedClientCidr: '127.0.0.0/8',
    workerBuckets: [`customer-data-${account.accountId}`],
  });
  await createStack(fx, account, setup.instructions);
  const deadline = Date.now() + timeoutMs;
  let view = await must<SetupView>(fx, 'GET', `/api/v1/workspaces/${id}/aws-setup`);
  while (view.workspaceState !== 'Active') {
    if (view.status === 'failed') throw new Error(`setup of ${name} failed: ${view.reason}`);
    if (Date.now() > deadline) throw new Error(`workspace ${name} did not become Active`);
    view = await must<SetupView>(
      fx,
      'GET',
      `/api/v1/workspaces/${id}/aws-setup?after=${view.revision}&waitSeconds=10`,
    );
  }
  return id;
}
