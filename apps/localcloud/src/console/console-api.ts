/**
 * The quick-create page's API: the page sends the account's access key and secret with each
 * request; they are checked against the credential store (the secret compared in constant
 * time) and the CloudFormation operation runs as that caller, with its permissions.
 */
import { timingSafeEqual } from 'node:crypto';
import { AwsError } from '../core/contract.ts';
import type { Caller, Cloud, RawRequest, RawResponse } from '../core/contract.ts';

interface ApiBody {
  accessKeyId?: unknown;
  secretAccessKey?: unknown;
  sessionToken?: unknown;
  region?: unknown;
  [key: string]: unknown;
}

function json(status: number, body: unknown): RawResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The caller the credentials belong to, or undefined when they are not valid. */
function callerFor(cloud: Cloud, body: ApiBody): Caller | undefined {
  const keyId = typeof body.accessKeyId === 'string' ? body.accessKeyId : '';
  const secret = typeof body.secretAccessKey === 'string' ? body.secretAccessKey : '';
  const record = cloud.credentials.get(keyId);
  if (record === undefined || !same(record.secretAccessKey, secret)) return undefined;
  if (
    record.sessionToken !== undefined &&
    (typeof body.sessionToken !== 'string' || !same(record.sessionToken, body.sessionToken))
  ) {
    return undefined;
  }
  return cloud.callerForAccessKey(keyId);
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Operations the page may call, and how its body maps to their input. */
const OPERATIONS: Record<string, (body: ApiBody) => Record<string, unknown>> = {
  summary: (b) => ({ TemplateURL: b.templateURL }),
  create: (b) => ({
    StackName: b.stackName,
    TemplateURL: b.templateURL,
    Parameters: b.parameters,
    Capabilities: b.capabilities,
  }),
  stack: (b) => ({ StackName: b.stackName }),
  events: (b) => ({ StackName: b.stackName }),
};

const ACTIONS: Record<string, string> = {
  summary: 'GetTemplateSummary',
  create: 'CreateStack',
  stack: 'DescribeStacks',
  events: 'DescribeStackEvents',
};

/** `POST /console/cloudformation/api/OPERATION` with a JSON body. */
export async function handleConsoleApi(
  request: RawRequest,
  cloud: Cloud,
  operation: string,
): Promise<RawResponse> {
  const build = OPERATIONS[operation];
  const action = ACTIONS[operation];
  if (build === undefined || action === undefined)
    return json(404, { code: 'NotFound', message: `unknown operation ${operation}` });
  let body: ApiBody;
  try {
    body = JSON.parse(request.body.toString('utf8') || '{}') as ApiBody;
  } catch {
    return json(400, { code: 'ValidationError', message: 'the request body must be JSON' });
  }
  const caller = callerFor(cloud, body);
  if (caller === undefined) {
    return json(403, {
      code: 'InvalidClientTokenId',
      message: 'The access key ID or secret access key is not valid.',
    });
  }
  const region =
    typeof body.region === 'string' && REGION.test(body.region) ? body.region : 'us-east-1';
  try {
    const out = await cloud.invoke('cloudformation', action, build(body), caller, region);
    cloud.markChanged();
    return json(200, out);
  } catch (error) {
    if (error instanceof AwsError)
      return json(error.status, { code: error.code, message: error.message });
    throw error;
  }
}
