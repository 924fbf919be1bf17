// @ts-check
/**
 * `npm run lint`: the rules this code otherwise keeps by care. Type-aware, so it sees a promise nobody
 * awaits (a database write dropped on the floor), and in workflow code an import that would break
 * determinism or pull Node into the workflow bundle.
 */
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O. */
const sandboxMessage = 'Workflow code runs in a deterministic sandbox without Node built-ins; do this in an activity.';
// By exact name: as a pattern, `domain` (a Node built-in) would also match our own domain/ folder.
const nodeBuiltinPaths = builtinModules.filter((name) => !name.startsWith('_')).map((name) => ({ name, message: sandboxMessage }));

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'tools/mailpit-ui/**', 'api/console/assets/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `void promise` is not an excuse: a promise left running on purpose says why, with a disable comment.
      // Thenables too: a mongoose query nobody awaits never even runs.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false, checkThenables: true }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // A file a reader can hold in mind; tests and benchmarks may run longer.
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['test/**', 'bench/**'],
    rules: { 'max-lines': ['error', { max: 300 }] },
  },
  {
    // Tests read whatever the API answered (the assertions say what it must be).
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts', 'contracts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltinPaths,
          patterns: [
            { group: ['node:*'], message: sandboxMessage },
            {
              group: ['**/activities/*', '**/services/*', '**/persistence/*'],
              allowTypeImports: true,
              message: 'Workflow code calls activities through their proxies (workflows/activity-steps.ts) and may import their types only.',
            },
          ],
        },
      ],
    },
  },
);
