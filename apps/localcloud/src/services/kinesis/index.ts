/** Kinesis: kinesalite behind localcloud's authorizing gateway. */
export { createKinesisService } from './kinesis-service.ts';
export type { KinesisServiceOptions } from './kinesis-service.ts';
