/**
 * The registry of localcloud's services: one import and one entry per service.
 */
import type { ServiceDefinition } from '../core/contract.ts';
import { iamService } from './iam/index.ts';
import { stsService } from './sts/index.ts';
import { sqsService } from './sqs/index.ts';
import { snsService } from './sns/index.ts';
import { cloudFormationService } from './cloudformation/index.ts';
import { s3Service } from './s3/index.ts';
import { kinesisService } from './kinesis/index.ts';
import { ec2Service } from './ec2/index.ts';

/** Every service localcloud serves, in start order (stopped in reverse). */
export const services: ServiceDefinition[] = [
  iamService,
  stsService,
  sqsService,
  snsService,
  cloudFormationService,
  s3Service,
  kinesisService,
  ec2Service,
];
