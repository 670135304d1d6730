// Lint enforces the dependency direction of ARCHITECTURE.md, not just style.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const appNames = ['control-plane', 'worker', 'localcloud', 'dashboard', 'cli'];
const noApps = appNames.map((a) => ({
  group: [`@ferry/${a}`, `@ferry/${a}/*`, `**/apps/${a}/**`],
  message: 'packages/* never import apps/*.',
}));

/** An app may not import another app (the CLI may use each app's public entry point only). */
const otherApps = (self, allowed = []) =>
  appNames
    .filter((a) => a !== self)
    .map((a) => ({
      group: allowed.includes(a)
        ? [`@ferry/${a}/*`, `**/apps/${a}/**`]
        : [`@ferry/${a}`, `@ferry/${a}/*`, `**/apps/${a}/**`],
      message: allowed.includes(a)
        ? `apps/${self} may call @ferry/${a}'s public entry point only.`
        : `apps/${self} must not import apps/${a}.`,
    }));

const agpl = {
  group: ['@cloud-copilot/iam-simulate'],
  message: 'AGPL: a devDependency for differential tests only, never runtime code.',
};
const pureIo = {
  group: [
    'node:fs',
    'node:fs/*',
    'node:net',
    'node:http',
    'node:https',
    'node:child_process',
    '@aws-sdk/*',
  ],
  message: 'iam, aws-template and core are pure: no I/O.',
};

const restrict = (patterns) => ({
  'no-restricted-imports': ['error', { patterns }],
});

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'apps/localcloud/models/**', '.ferry/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'import-x/no-cycle': 'error',
    },
  },
  { files: ['packages/**/*.ts'], rules: restrict(noApps) },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrict([...noApps, agpl]),
  },
  {
    files: ['packages/{iam,aws-template,core}/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrict([...noApps, agpl, pureIo]),
  },
  {
    files: ['apps/localcloud/**/*.ts'],
    rules: restrict([
      {
        group: ['@ferry/*', '!@ferry/iam', '**/apps/*/**', '**/packages/*/**'],
        message: 'localcloud is an independent cloud: it imports nothing of ferry but @ferry/iam.',
      },
    ]),
  },
  { files: ['apps/control-plane/**/*.ts'], rules: restrict(otherApps('control-plane')) },
  {
    // The EC2 SDK weighs ~75 MiB once loaded: the control plane loads it on first use only.
    files: ['apps/control-plane/src/**/*.ts'],
    ignores: ['**/*.test.ts', 'apps/control-plane/src/testing/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@aws-sdk/client-ec2',
              allowTypeImports: true,
              message: 'Load it with loadEc2Sdk() (aws/ec2-sdk.ts): never at start.',
            },
          ],
        },
      ],
    },
  },
  { files: ['apps/worker/**/*.ts'], rules: restrict(otherApps('worker')) },
  {
    files: ['apps/dashboard/**/*.ts', 'apps/dashboard/**/*.tsx'],
    rules: restrict(otherApps('dashboard')),
  },
  {
    files: ['apps/cli/**/*.ts'],
    rules: restrict(otherApps('cli', ['control-plane', 'localcloud', 'worker', 'dashboard'])),
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
