import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Files the size limits do not apply to: tests read best next to the behaviour they cover, and
// generated code is as long as the schema it comes from.
const exemptFromSizeLimits = ['**/*.test.ts', '**/*.fixtures.ts', 'src/api/*.generated.ts'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.local/', 'coverage/', 'charts/', 'ops/', 'config/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: exemptFromSizeLimits,
    rules: { 'max-lines': ['error', { max: 350 }] },
  },
  {
    files: ['src/controller/**/*.ts', 'src/model/**/*.ts'],
    ignores: exemptFromSizeLimits,
    rules: {
      'max-lines-per-function': ['error', { max: 50, skipBlankLines: true, skipComments: true }],
    },
  },
);
