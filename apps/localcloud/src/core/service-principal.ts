/**
 * Requests AWS services make on a customer's behalf (SNS delivering to a queue,
 * CloudFormation publishing a custom-resource request): the caller is a service principal,
 * so only the resource's own policy can allow it.
 */
import { evaluate } from '@ferry/iam';
import type { Decision, NamedPolicy } from '@ferry/iam';

export interface ServiceRequest {
  /** e.g. `sns.amazonaws.com`. */
  service: string;
  /** e.g. `sqs:SendMessage`. */
  action: string;
  resource: string;
  resourceAccount: string;
  resourcePolicy: NamedPolicy | undefined;
  /** The resource that caused the request (`aws:SourceArn`) and its account. */
  sourceArn: string;
  sourceAccount: string;
}

/** Evaluates a service principal's request against the resource policy alone. */
export function authorizeServiceRequest(request: ServiceRequest): Decision {
  return evaluate({
    principal: {
      arn: request.service,
      principalArn: request.service,
      accountId: '',
      service: request.service,
    },
    action: request.action,
    resource: request.resource,
    resourceAccount: request.resourceAccount,
    context: {
      'aws:SourceArn': request.sourceArn,
      'aws:SourceAccount': request.sourceAccount,
      // The legacy key SNS's default topic policy conditions on.
      'aws:SourceOwner': request.sourceAccount,
      'aws:PrincipalServiceName': request.service,
      'aws:PrincipalIsAWSService': 'true',
      'aws:SecureTransport': 'true',
    },
    identityPolicies: [],
    ...(request.resourcePolicy === undefined ? {} : { resourcePolicy: request.resourcePolicy }),
  });
}
