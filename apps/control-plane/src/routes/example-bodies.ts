/** A valid body for every route that takes one; tests start from these and break them. */
import type { RouteName } from '@ferry/api';

export const EXAMPLE_BODIES: Partial<Record<RouteName, unknown>> = {
  'auth.setup': {
    token: 'ferry_setup_x',
    email: 'x@example.com',
    name: 'X',
    password: 'long enough password',
  },
  'auth.signup': { invitationToken: 'ferry_inv_x', name: 'X', password: 'long enough password' },
  'auth.login': { email: 'nobody@example.com', password: 'wrong password here' },
  'auth.token': {
    grant_type: 'client_credentials',
    client_id: 'sa_00000000000000000000000000',
    client_secret: 'x',
  },
  'tokens.create': { name: 'walk', scopes: ['org:read'], expiresInDays: 1 },
  'users.create': { email: 'walk-new@example.com', name: 'Walk', password: 'long enough password' },
  'orgs.create': { name: 'Walker Org' },
  'orgs.update': { name: 'Hijacked' },
  'orgs.members.update': { role: 'member' },
  'orgs.invitations.create': { email: 'attacker@example.com', role: 'admin' },
  'invitations.accept': { token: 'ferry_inv_not_a_real_token' },
  'workspaces.create': { name: 'planted' },
  'workspaces.update': { name: 'hijacked' },
  'workspaces.members.set': { role: 'admin' },
  'serviceAccounts.create': { name: 'backdoor' },
  'awsSetup.start': {
    region: 'us-east-1',
    network: { kind: 'new' },
    allowedClientCidr: '10.0.0.0/8',
  },
};
