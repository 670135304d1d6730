/** A valid body for every route that takes one; tests start from these and break them. */
import type { RouteName } from '@ferry/api';

/** Access keys of the example connection bodies (well-formed, valid nowhere). */
export const WALK_KEY_ID = 'AKIAWALKWALKWALKWALK';
export const WALK_SECRET = 'walkWALKwalkWALKwalkWALKwalkWALKwalkWALK';

export const EXAMPLE_BODIES: Partial<Record<RouteName, unknown>> = {
  'auth.setup': {
    token: 'ferry_setup_x',
    email: 'x@example.com',
    name: 'X',
    password: 'long enough password',
  },
  'auth.signup': { invitationToken: 'ferry_inv_x', name: 'X', password: 'long enough password' },
  'auth.login': { email: 'nobody@example.com', password: 'wrong password here' },
  'auth.signInLink': { token: 'ferry_signin_not_a_real_token_xxxxxxxx' },
  'auth.token': {
    grant_type: 'client_credentials',
    client_id: 'sa_00000000000000000000000000',
    client_secret: 'x',
  },
  'auth.deviceCode': { client_id: 'ferry-cli', name: 'walk' },
  'auth.deviceToken': {
    grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    device_code: 'ferry_dev_not_a_real_device_code_xxxxxxxx',
    client_id: 'ferry-cli',
  },
  'auth.deviceRequest': { userCode: 'BCDF-GHJK' },
  'auth.deviceDecide': { userCode: 'BCDF-GHJK', approve: true },
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
  'compute.start': { cpus: 2, memory: 8, labels: { team: 'walk' } },
  'compute.select': { cpus: 2, memory: 8 },
  'manifests.put': { cpus: 2, memory: 8 },
  'nodes.register': {
    bootstrapToken: 'ferry_boot_not_a_real_token_xxxxxxxx',
    clusterId: 'cl_00000000000000000000000000',
    instanceId: 'i-0123456789abcdef0',
  },
  'nodes.heartbeat': {
    state: 'idle',
    activeQueries: 0,
    connectedClients: 0,
    lastActivityAt: '2030-01-01T00:00:00.000Z',
  },
  'queries.submit': {
    envelope: {
      ferryVersion: '0.1.0',
      polarsVersion: '0.26.1',
      format: 'polars-json',
      kind: 'sql',
      sql: 'SELECT 1 AS one',
    },
  },
  'nodes.queries.report': {
    kind: 'sql',
    state: 'Running',
    queuedAt: '2030-01-01T00:00:00.000Z',
    startedAt: '2030-01-01T00:00:01.000Z',
    finishedAt: null,
    error: null,
    optimizedPlan: null,
    rowCount: null,
    bytes: null,
    location: null,
    schema: null,
    headRows: null,
    profile: null,
    labels: {},
    clusterId: 'cl_00000000000000000000000000',
    instanceId: 'i-0123456789abcdef0',
    mode: 'direct',
    actorId: 'usr_00000000000000000000000000',
  },
  'nodes.queries.head': { arrowIpcBase64: '', rows: 0, resultUrls: null },
  'nodes.queries.connections': { connections: ['sales'] },
  'connections.prepare': {
    target: { type: 's3', bucket: 'walk-bucket', prefix: 'events/', region: 'us-east-1' },
  },
  'connections.test': {
    target: { type: 's3', bucket: 'walk-bucket', region: 'us-east-1' },
    auth: { kind: 'accessKeys', accessKeyId: WALK_KEY_ID, secretAccessKey: WALK_SECRET },
  },
  'connections.create': {
    name: 'walk-conn',
    target: { type: 's3', bucket: 'walk-bucket', prefix: 'events/', region: 'us-east-1' },
    auth: { kind: 'accessKeys', accessKeyId: WALK_KEY_ID, secretAccessKey: WALK_SECRET },
    skipTest: true,
  },
  'connections.rotateKeys': {
    accessKeyId: WALK_KEY_ID,
    secretAccessKey: WALK_SECRET,
    skipTest: true,
  },
  'ingestions.start': {
    clusterId: 'cl_00000000000000000000000000',
    connection: 'walk-stream',
    startingPosition: { type: 'TRIM_HORIZON' },
    format: { type: 'json' },
    flushRecords: 100,
    flushSeconds: 5,
    mode: 'one-shot',
  },
  'nodes.ingestions.shard': {
    kind: 'finished',
    shardId: 'shardId-000000000000',
    parentShardIds: [],
  },
  'nodes.ingestions.outcome': { state: 'Completed', reason: null },
  'awsSetup.start': {
    region: 'us-east-1',
    network: { kind: 'new' },
    allowedClientCidr: '10.0.0.0/8',
  },
};

/** Query parameters a route cannot do without (the rest take none or only optional ones). */
export const EXAMPLE_QUERIES: Partial<Record<RouteName, Record<string, string>>> = {
  'compute.wait': { state: 'Idle' },
};
