// Query tokens sign with node:crypto: they are `@ferry/core/query-token`, so browser code
// that imports the core never pulls Node built-ins.
export * from './envelope.ts';
export * from './plan-safety.ts';
export * from './sql-connections.ts';
