/** S3: s3rver behind localcloud's authorizing gateway. */
export { createS3Service } from './s3-service.ts';
export type { S3ServiceOptions } from './s3-service.ts';
