/**
 * The registry of localcloud's services: one import and one entry per service. Each call
 * makes new service instances, so every `start()` has services of its own.
 */
import type { ServiceDefinition } from '../core/contract.ts';
import { iamService } from './iam/index.ts';
import { stsService } from './sts/index.ts';
import { createSqsService } from './sqs/index.ts';
import { createSnsService } from './sns/index.ts';
import { createCloudFormationService } from './cloudformation/index.ts';
import type { CloudFormationServiceOptions } from './cloudformation/index.ts';
import { createS3Service } from './s3/index.ts';
import type { S3ServiceOptions } from './s3/index.ts';
import { createKinesisService } from './kinesis/index.ts';
import type { KinesisServiceOptions } from './kinesis/index.ts';
import { createEc2Service } from './ec2/index.ts';
import type { Ec2ServiceOptions } from './ec2/index.ts';

export interface ServicesOptions {
  ec2?: Ec2ServiceOptions;
  kinesis?: Pick<KinesisServiceOptions, 'transitionMs'>;
  cloudFormation?: CloudFormationServiceOptions;
  s3?: Pick<S3ServiceOptions, 'lifecycleSweepMs'>;
}

/** Every service localcloud serves, in start order (stopped in reverse). */
export function createServices(options: ServicesOptions = {}): ServiceDefinition[] {
  return [
    iamService,
    stsService,
    createSqsService(),
    createSnsService(),
    createCloudFormationService(options.cloudFormation),
    createS3Service(options.s3),
    createKinesisService(options.kinesis),
    createEc2Service(options.ec2),
  ];
}
