import type { Call, Cloud } from '../../core/contract.ts';
import { ensureDefaultVpc } from './default-vpc.ts';
import { rawEc2State, type Ec2State } from './state.ts';

/** The caller's EC2 state in the call's region, with its default VPC in place. */
export function ec2State(call: Call<unknown>, cloud: Cloud): Ec2State {
  const state = rawEc2State(cloud, call.caller.accountId, call.region);
  ensureDefaultVpc(state, call.region, cloud.now());
  return state;
}
