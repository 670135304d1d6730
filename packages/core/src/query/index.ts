export * from './envelope.ts';
export * from './plan-safety.ts';
export * from './query-token.ts';
