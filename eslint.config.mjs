// SAST: type-aware typescript-eslint (strict) + eslint-plugin-security over lib/, lambda/, bin/.
import js from '@eslint/js';
import security from 'eslint-plugin-security';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'cdk.out/**', 'coverage/**', 'reports/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['lib/**/*.ts', 'lambda/**/*.ts', 'bin/**/*.ts', 'scripts/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.strictTypeChecked, security.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      // Flags every `obj[key]`, including typed records and array indices (hundreds of false positives
      // that would train reviewers to ignore the plugin). Prototype pollution is handled where it can
      // happen: strict Zod schemas reject unknown keys (`__proto__`, `constructor`) before any object
      // is built from input, and the fuzz tests prove it.
      'security/detect-object-injection': 'off',
    },
  },
  {
    // The runtime code must never pull in the CDK: it would bloat bundles and blur the boundary.
    files: ['lambda/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'cdk-nag'], message: 'lambda/ is runtime code: it must not import the CDK.' },
          { group: ['**/lib/**', '../../lib/*', '../lib/*'], message: 'lambda/ must not import the construct library.' },
        ],
      }],
    },
  },
  {
    // Scripts print reports to the terminal by design.
    files: ['scripts/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
