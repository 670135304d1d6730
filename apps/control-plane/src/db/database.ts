/** The whole control-plane schema as Kysely sees it: platform tables plus domain tables. */
import type { PlatformTables } from './platform-tables.ts';
import type { DomainTables } from './tables/index.ts';

/** Every table of the control plane. */
export interface Database extends PlatformTables, DomainTables {}
