/**
 * The stages a workspace's stack reports while CloudFormation creates it, in order — the
 * template's `PHONE_HOME_STAGES` (that package hashes with node:crypto, so it stays out of
 * the browser bundle; the browser test checks the page shows the stages the API reports).
 */
export const PHONE_HOME_STAGES = [
  'Network',
  'Security',
  'Policies',
  'Deploying',
  'Connected',
] as const;

/** What each stage means, for people watching the progress page. */
export const STAGE_TEXT: Record<string, string> = {
  Network: 'VPC, subnets and routes are in place',
  Security: 'security groups are in place',
  Policies: 'the three IAM roles and their policies exist',
  Deploying: 'the stack is finishing its last resources',
  Connected: 'the stack reported its outputs to ferry',
};
