export * from './assert-never.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './roles.ts';
export * from './workspace-state.ts';
