/** The resource types the provisioning engine supports. */
import { customResource } from './custom-resource.ts';
import { ec2Resources } from './ec2-resources.ts';
import { iamResources } from './iam-resources.ts';
import { messagingResources } from './messaging-resources.ts';
import type { ResourceProvider } from './resource-provider.ts';
import { s3Resources } from './s3-resources.ts';

const providers: Record<string, ResourceProvider> = {
  ...ec2Resources,
  ...iamResources,
  ...messagingResources,
  ...s3Resources,
  'AWS::CloudFormation::CustomResource': customResource,
};

/** The provider of a resource type; `Custom::*` types are custom resources. */
export function providerFor(type: string): ResourceProvider | undefined {
  if (type.startsWith('Custom::')) return customResource;
  return providers[type];
}

export { ReplacementRequired } from './ec2-resources.ts';
export type {
  ProvisionContext,
  ResourceProvider,
  ResourceResult,
  ResourceState,
} from './resource-provider.ts';
