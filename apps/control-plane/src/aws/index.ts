/** The AWS connection's public surface for the CLI, the demo and cross-app tests. */
export { initPlatform, loadPlatform, type PlatformAws } from './platform-init.ts';
export { consumePhoneHome, checkDrift } from './aws-setup-jobs.ts';
export { createAwsClientFactory } from './aws-clients.ts';
export { configureAwsServices, type AwsSetupOptions } from './aws-services.ts';
export { CONFUSED_DEPUTY_MESSAGE } from './verifier.ts';
