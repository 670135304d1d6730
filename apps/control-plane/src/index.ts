/**
 * The control plane's public entry point: `start()` runs it as a server; `createApp()`
 * builds the Fastify app over given resources for in-process tests (`app.inject`).
 */
export { start } from './server.ts';
export type { RunningServer, StartContext, StartOptions } from './server.ts';
export { createApp } from './app.ts';
export type { CreateAppOptions } from './app.ts';
export { createResources } from './resources.ts';
export type { Clock, Resources, OwnedResources, CreateResourcesOptions } from './resources.ts';
export { loadConfig, ConfigError } from './config/load-config.ts';
export type { ConfigFlags, LoadConfigInput } from './config/load-config.ts';
export type { Config } from './config/config-schema.ts';
export { SETTINGS } from './config/config-schema.ts';
export { migrate } from './db/migrate.ts';
export { SECRET_PREFIXES } from './identity/secret-token.ts';
export { migrations } from './migrations/index.ts';
export * from './aws/index.ts';
export { launchCluster, launchTemplateName, tokenHash } from './compute/launcher.ts';
export type { LaunchOutcome } from './compute/launcher.ts';
export { stopClusterInstances } from './compute/stopper.ts';
export { reconcile } from './compute/reconciler.ts';
export type { ReconcileReport } from './compute/reconciler.ts';
export { reap } from './compute/reaper.ts';
export type { ReapReport } from './compute/reaper.ts';
export {
  chooseInstanceType,
  loadPlacement,
  clearInstanceChoiceCache,
} from './compute/instance-choice.ts';
export { loadWorkspaceAws, ec2As } from './compute/workspace-aws.ts';
export type { WorkspaceAws } from './compute/workspace-aws.ts';
export { applyClusterEvent } from './compute/cluster-transitions.ts';
export { issueSignInLink } from './identity/sign-in-links.ts';
export type { SignInLink } from './identity/sign-in-links.ts';
export { CONNECTION_CONFUSED_DEPUTY_MESSAGE } from './connections/connection-tester.ts';
export { retestAllConnections } from './connections/connection-jobs.ts';
export { connectionScanCredentials } from './connections/connection-query-credentials.ts';
export { ingestionDestinationCredentials } from './ingest/ingestion-destination.ts';
export type { ConnectionScanCredentials } from './connections/connection-query-credentials.ts';
export { reencryptSecrets } from './secrets/reencrypt-secrets.ts';
export type { ReencryptionReport } from './secrets/reencrypt-secrets.ts';
export { createSecretsKeyRing, generateSecretsKey } from './config/secrets-key.ts';
