/**
 * The control plane's one migration set, in application order. Add a migration as a new
 * file (`0002-….ts`) and one line here; never edit a migration that has shipped.
 */
import type { Migration } from './migration.ts';
import { platform } from './0001-platform.ts';
import { domain } from './0002-domain.ts';
import { awsSetup } from './0003-aws-setup.ts';
import { compute } from './0004-compute.ts';
import { queries } from './0005-queries.ts';
import { nodePublicIp } from './0006-node-public-ip.ts';
import { connections } from './0007-connections.ts';
import { ingestions } from './0008-ingestions.ts';
import { deviceAuthorizations } from './0009-device-authorizations.ts';
import { queryConnections } from './0010-query-connections.ts';
import { ingestionDestinations } from './0011-ingestion-destinations.ts';

export type { Migration } from './migration.ts';

/** Every migration, oldest first. */
export const migrations: readonly Migration[] = [
  platform,
  domain,
  awsSetup,
  compute,
  queries,
  nodePublicIp,
  connections,
  ingestions,
  deviceAuthorizations,
  queryConnections,
  ingestionDestinations,
];
