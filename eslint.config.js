// `npm run lint`: ESLint with typescript-eslint over the project's TypeScript and JavaScript, the
// TypeScript with type information from tsconfig.test.json (the one program that holds src/,
// workers/, bench/, test/ and web/). assembly/ is left to asc: its i32/f64/usize types and memory
// builtins are AssemblyScript, not TypeScript. The house layout (see .editorconfig) is checked by
// the whitespace and punctuation rules below, which `npm run lint -- --fix` applies; line breaking
// and indentation of continuation lines are left to the author (dense one-line guards are house style).
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS = ['**/*.ts', '**/*.mts'];
const CODE = [...TS, '**/*.js', '**/*.mjs'];

// Unused names are errors; a leading underscore marks one kept on purpose (a positional parameter).
const UNUSED = { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' };

// node:test's test()/describe() return promises the runner itself awaits.
const NODE_TEST = { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] };

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'build/', 'runs/', '.cache/', 'assembly/', 'docs/'] },
  js.configs.recommended,
  {
    files: TS,
    extends: [tseslint.configs.recommended],
    languageOptions: { parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `any` switches the type checker off for everything it touches; unknown plus a check says what is trusted.
      '@typescript-eslint/no-explicit-any': 'error',
      // Type-only imports are erased, so what a module loads at run time is what its value imports say.
      // `typeof import('…')` stays allowed: it types a module that is loaded lazily with import().
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-unused-vars': ['error', UNUSED],
      // A promise nobody awaits loses its rejection: a failed write or worker would pass silently.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [NODE_TEST] }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // An `any` that crosses into typed code (JSON.parse, untyped packages) must be checked or cast first.
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
    },
  },
  {
    // Tests read the JSON the code under test wrote and compare fields; the assertions are the check.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: { 'no-unused-vars': ['error', UNUSED] },
  },
  {
    files: ['web/**/*.ts', 'test/browser/**/*.mjs'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: CODE,
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/linebreak-style': ['error', 'unix'],
      '@stylistic/eol-last': 'error',
      '@stylistic/no-tabs': 'error',
      '@stylistic/no-trailing-spaces': 'error',
      '@stylistic/no-multiple-empty-lines': ['error', { max: 1 }],
      '@stylistic/no-multi-spaces': ['error', { ignoreEOLComments: true }],
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/semi': ['error', 'always'],
      '@stylistic/comma-dangle': ['error', 'always-multiline'],
      '@stylistic/member-delimiter-style': 'error',
      '@stylistic/arrow-parens': ['error', 'always'],
      '@stylistic/object-curly-spacing': ['error', 'always'],
      '@stylistic/comma-spacing': 'error',
      '@stylistic/key-spacing': 'error',
      '@stylistic/keyword-spacing': 'error',
      '@stylistic/space-infix-ops': 'error',
      '@stylistic/space-before-blocks': 'error',
      '@stylistic/space-before-function-paren': ['error', { anonymous: 'always', named: 'never', asyncArrow: 'always' }],
      '@stylistic/type-annotation-spacing': 'error',
    },
  },
);
