const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const reactHooks = require('eslint-plugin-react-hooks');
const { builtinModules } = require('node:module');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

module.exports = tseslint.config(
  { ignores: ['node_modules/', '.data/', '.tools/', 'db/migrations/', 'coverage/', 'console/dist/', 'test-artifacts/', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // console/ has its own tsconfig (DOM, JSX); the project service finds it for those files.
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The web console (React): the rules of hooks.
    files: ['console/**/*.tsx', 'console/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  {
    // Workflow code is replayed deterministically inside Temporal's sandbox: no Node built-ins.
    files: ['workflows/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: nodeBuiltins }] },
  },
);
