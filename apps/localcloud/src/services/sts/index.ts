/**
 * STS: AssumeRole, GetCallerIdentity, DecodeAuthorizationMessage, GetAccessKeyInfo; and the
 * instance-profile credentials EC2's metadata service hands out.
 */
import type { ServiceDefinition } from '../../core/contract.ts';
import { AssumeRole } from './assume-role.ts';
import {
  DecodeAuthorizationMessage,
  GetAccessKeyInfo,
  GetCallerIdentity,
  GetSessionToken,
} from './identity-handlers.ts';

export {
  mintInstanceProfileCredentials,
  INSTANCE_CREDENTIAL_SECONDS,
} from './instance-credentials.ts';
export type { InstanceCredentials } from './instance-credentials.ts';

/** The STS service definition. */
export const stsService: ServiceDefinition = {
  name: 'sts',
  handlers: {
    AssumeRole,
    GetCallerIdentity,
    GetSessionToken,
    DecodeAuthorizationMessage,
    GetAccessKeyInfo,
  },
};
