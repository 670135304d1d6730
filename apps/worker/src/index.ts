/** The worker agent's parts, for the query server that grows it (activity) and for tests. */
export * from './activity.ts';
export * from './agent.ts';
export * from './config.ts';
export * from './control-plane-client.ts';
export * from './idle-timer.ts';
export * from './imds.ts';
export * from './log-buffer.ts';
export * from './samples.ts';
export * from './shutdown.ts';
export { runWorker } from './run-worker.ts';
