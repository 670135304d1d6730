/**
 * Custom resources backed by SNS: the request is published to the topic named by
 * ServiceToken as `cloudformation.amazonaws.com` (the topic policy must allow it; the
 * topic may be in another account), and the operation waits for the response PUT.
 */
import { randomUUID } from 'node:crypto';
import { publishAsService } from '../../sns/index.ts';
import { awaitResponse } from '../custom-resource-responses.ts';
import type { Json } from '../template-parser.ts';
import { str } from './resource-provider.ts';
import type {
  ProvisionContext,
  ResourceProvider,
  ResourceResult,
  ResourceState,
} from './resource-provider.ts';

/** CloudFormation passes every scalar in ResourceProperties as a string. */
function stringify(value: Json): Json {
  if (Array.isArray(value)) return value.map(stringify);
  if (value === null) return null;
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringify(v)]));
  return String(value);
}

async function send(
  ctx: ProvisionContext,
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, Json>,
  current?: ResourceState,
): Promise<ResourceResult> {
  const serviceToken = str(properties.ServiceToken) ?? '';
  if (!serviceToken.startsWith('arn:aws:sns:')) {
    throw new Error(
      serviceToken.startsWith('arn:aws:lambda:')
        ? 'Lambda-backed custom resources are not supported here: use an SNS topic as ServiceToken'
        : `Invalid service token ${serviceToken}: an SNS topic ARN is required`,
    );
  }
  const requestId = randomUUID();
  const { responseUrl, response, cancel } = awaitResponse(
    ctx.cloud,
    requestId,
    ctx.settings.customResourceTimeoutSeconds,
    ctx.signal,
  );
  const request: Record<string, Json> = {
    RequestType: requestType,
    ServiceToken: serviceToken,
    ResponseURL: responseUrl,
    StackId: ctx.stackId,
    RequestId: requestId,
    LogicalResourceId: ctx.logicalId,
    ResourceType: ctx.resourceType,
    ResourceProperties: stringify(properties),
  };
  if (current !== undefined) request.PhysicalResourceId = current.physicalId;
  if (requestType === 'Update' && current !== undefined)
    request.OldResourceProperties = stringify(current.properties);
  const published = publishAsService(ctx.cloud, {
    topicArn: serviceToken,
    service: 'cloudformation.amazonaws.com',
    sourceArn: ctx.stackId,
    sourceAccount: ctx.accountId,
    message: JSON.stringify(request),
    subject: 'AWS CloudFormation custom resource request',
  });
  if (!published.ok) {
    // Nobody can answer a request that was never delivered: fail now, not after the timeout.
    cancel();
    throw new Error(`Failed to publish the custom resource request: ${published.reason}`);
  }
  const answer = await response;
  if (answer.Status === 'FAILED') {
    throw new Error(
      `Received response status [FAILED] from custom resource. Message returned: ${answer.Reason ?? 'See the details in your custom resource'} (RequestId: ${requestId})`,
    );
  }
  if (answer.RequestId !== undefined && answer.RequestId !== requestId)
    throw new Error('Response RequestId does not match the request');
  if (answer.LogicalResourceId !== undefined && answer.LogicalResourceId !== ctx.logicalId) {
    throw new Error('Response LogicalResourceId does not match the request');
  }
  const physicalId = answer.PhysicalResourceId ?? current?.physicalId;
  if (physicalId === undefined || physicalId === '') throw new Error('Invalid PhysicalResourceId');
  const data = answer.Data ?? {};
  if (JSON.stringify(data).length > 4096) throw new Error('Response object is too long.');
  const attributes: Record<string, Json> = {};
  for (const [k, v] of Object.entries(data))
    attributes[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return { physicalId, attributes };
}

export const customResource: ResourceProvider = {
  required: ['ServiceToken'],
  create: (ctx, properties) => send(ctx, 'Create', properties),
  async update(ctx, current, properties) {
    if (str(current.properties.ServiceToken) !== str(properties.ServiceToken)) {
      throw new Error('Modifying service token is not allowed.');
    }
    return send(ctx, 'Update', properties, current);
  },
  async delete(ctx, current) {
    await send(ctx, 'Delete', current.properties, current);
  },
};
