/**
 * Every AWS action the control plane's AWS code calls, with the registry role it runs as.
 * A test checks each one against the permission registry of `@ferry/aws-template`, so an
 * action cannot be called without being declared (and thus in the customer's template).
 */
import type { RoleName } from '@ferry/aws-template';

export const CALLED_ACTIONS: readonly { role: RoleName; action: string; by: string }[] = [
  { role: 'Platform', action: 'sts:AssumeRole', by: 'credential-broker.ts' },
  { role: 'Platform', action: 'sts:TagSession', by: 'credential-broker.ts (session tag)' },
  { role: 'Platform', action: 'sts:SetSourceIdentity', by: 'credential-broker.ts' },
  { role: 'Platform', action: 'sns:CreateTopic', by: 'platform-init.ts' },
  { role: 'Platform', action: 'sns:SetTopicAttributes', by: 'platform-init.ts' },
  { role: 'Platform', action: 'sns:Subscribe', by: 'platform-init.ts' },
  { role: 'Platform', action: 'sqs:CreateQueue', by: 'platform-init.ts' },
  { role: 'Platform', action: 'sqs:GetQueueAttributes', by: 'platform-init.ts' },
  { role: 'Platform', action: 'sqs:SetQueueAttributes', by: 'platform-init.ts' },
  { role: 'Platform', action: 's3:CreateBucket', by: 'platform-init.ts' },
  { role: 'Platform', action: 's3:PutObject', by: 'setup-service.ts (template upload)' },
  { role: 'Platform', action: 's3:GetObject', by: 'setup-service.ts (presigned template URL)' },
  { role: 'Platform', action: 'sqs:ReceiveMessage', by: 'aws-setup-jobs.ts' },
  { role: 'Platform', action: 'sqs:DeleteMessage', by: 'aws-setup-jobs.ts' },
  { role: 'UserInitiated', action: 'ec2:RunInstances', by: 'role-probes.ts (dry run)' },
  { role: 'UserInitiated', action: 'ec2:CreateLaunchTemplate', by: 'role-probes.ts (dry run)' },
  { role: 'UserInitiated', action: 'ec2:DescribeInstances', by: 'role-probes.ts (dry run)' },
  { role: 'UserInitiated', action: 'ec2:DescribeInstanceTypes', by: 'role-probes.ts (dry run)' },
  {
    role: 'UserInitiated',
    action: 'ec2:DescribeInstanceTypeOfferings',
    by: 'role-probes.ts (dry run)',
  },
  { role: 'UserInitiated', action: 'ec2:DescribeSubnets', by: 'role-probes.ts (dry run)' },
  { role: 'UserInitiated', action: 'ec2:DescribeFleets', by: 'role-probes.ts (dry run)' },
  { role: 'UserInitiated', action: 'ec2:DescribeLaunchTemplates', by: 'role-probes.ts (dry run)' },
  { role: 'Unattended', action: 'ec2:DescribeInstances', by: 'role-probes.ts (dry run)' },
  { role: 'Unattended', action: 'ec2:DescribeFleets', by: 'role-probes.ts (dry run)' },
  { role: 'Unattended', action: 'ec2:DescribeLaunchTemplates', by: 'role-probes.ts (dry run)' },
  { role: 'UserInitiated', action: 'ec2:DescribeImages', by: 'compute/launcher.ts (worker AMI)' },
  { role: 'UserInitiated', action: 'ec2:DescribeImages', by: 'role-probes.ts (dry run)' },
  { role: 'UserInitiated', action: 'ec2:CreateFleet', by: 'role-probes.ts (dry run)' },
  {
    role: 'UserInitiated',
    action: 'ec2:CreateLaunchTemplateVersion',
    by: 'role-probes.ts (dry run)',
  },
  {
    role: 'UserInitiated',
    action: 'ec2:DeleteLaunchTemplate',
    by: 'role-probes.ts (probe template)',
  },
  { role: 'UserInitiated', action: 'ec2:CreateFleet', by: 'compute/launcher.ts' },
  { role: 'UserInitiated', action: 'ec2:CreateTags', by: 'compute/launcher.ts (tags on create)' },
  { role: 'UserInitiated', action: 'iam:PassRole', by: 'compute/launcher.ts (Worker profile)' },
  { role: 'UserInitiated', action: 'ec2:DeleteLaunchTemplate', by: 'compute/launcher.ts' },
  { role: 'UserInitiated', action: 'ec2:TerminateInstances', by: 'compute/stopper.ts' },
  { role: 'Unattended', action: 'ec2:TerminateInstances', by: 'compute/reaper.ts' },
  { role: 'Unattended', action: 'ec2:DeleteFleets', by: 'compute/reaper.ts' },
  { role: 'Unattended', action: 'ec2:DeleteLaunchTemplate', by: 'compute/reaper.ts' },
  { role: 'Worker', action: 's3:PutObject', by: 'verifier.ts (marker object)' },
  { role: 'Worker', action: 's3:GetObject', by: 'verifier.ts (marker object)' },
  { role: 'Worker', action: 's3:ListBucket', by: 'verifier.ts (marker object)' },
  { role: 'Worker', action: 's3:DeleteObject', by: 'verifier.ts (marker object)' },
];
