/** Kinesis: kinesalite behind localcloud's authorizing gateway. */
export { createKinesisService, kinesisService } from './kinesis-service.ts';
export type { KinesisServiceOptions } from './kinesis-service.ts';
