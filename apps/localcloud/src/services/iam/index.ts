/**
 * IAM: users, access keys, roles, inline and managed policies, instance profiles,
 * SimulatePrincipalPolicy. Global: its state lives in region "global".
 */
import type { ServiceDefinition } from '../../core/contract.ts';
import { instanceProfileHandlers } from './instance-profile-handlers.ts';
import { policyHandlers } from './policy-handlers.ts';
import { resolveCaller } from './resolve-caller.ts';
import { roleHandlers } from './role-handlers.ts';
import { simulateHandlers } from './simulate-handlers.ts';
import { userHandlers } from './user-handlers.ts';

export {
  findInstanceProfile,
  findManagedPolicy,
  findRoleByArn,
  parseIamArn,
  roleOfInstanceProfile,
  rolePolicies,
  userPolicies,
} from './iam-lookups.ts';
export type { InstanceProfileRecord, RoleRecord, UserRecord } from './iam-state.ts';
export { iamState } from './iam-state.ts';

/** The IAM service definition. */
export const iamService: ServiceDefinition = {
  name: 'iam',
  handlers: {
    ...userHandlers,
    ...roleHandlers,
    ...policyHandlers,
    ...instanceProfileHandlers,
    ...simulateHandlers,
  },
  resolveCaller,
};
