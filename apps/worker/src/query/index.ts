export * from './cloud-options.ts';
export * from './executor-pool.ts';
export * from './query-engine.ts';
export * from './role-credentials.ts';
