export * from './scope-value.ts';
export * from './permission-registry.ts';
export * from './role-policy.ts';
export * from './cfn-value.ts';
export * from './template-version.ts';
export * from './template-builder.ts';
export * from './template-render.ts';
