/**
 * The public address of a node, as EC2 reports it: what a direct-mode client outside the
 * VPC connects to (the private address serves only clients inside it).
 */
import { sql } from 'kysely';
import type { Migration } from './migration.ts';

export const nodePublicIp: Migration = {
  name: '0006-node-public-ip',
  async up(db) {
    await sql`alter table cluster_nodes add column public_ip text`.execute(db);
  },
};
