// @ts-check
// Flat config as the official Nest packages have it (nestjs/schedule, nestjs/terminus): ESLint's
// recommended rules, typescript-eslint's type-checked rules, Prettier through its plugin, and the same
// relaxations they make. Formatting itself is checked by `npm run format:check` (Prettier, .prettierrc).
import eslint from '@eslint/js';
import eslintPluginPrettierRecommended from 'eslint-plugin-prettier/recommended';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // test/.readme-app/ and test/.readme-quick-start/ are written by test/unit/readme-testing-example.spec.ts and
    // test/unit/readme-quick-start.spec.ts (the docs' example apps).
    ignores: [
      'dist/**',
      'coverage/**',
      'node_modules/**',
      'bench/results/**',
      'test/.readme-app/**',
      'test/.readme-quick-start/**',
      'eslint.config.mjs',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  eslintPluginPrettierRecommended,
  {
    languageOptions: {
      globals: {
        ...globals.node,
        ...globals.jest,
      },
      sourceType: 'module',
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Off on purpose, where the Nest packages have 'warn': an `async` method without `await` is how this
      // code implements a Promise-returning contract (Registry.remove/removeWatch, the in-memory registry,
      // the test fakes of that contract), so that a synchronous throw (a bad argument, a closed registry)
      // reaches the caller as a rejection, never as an exception thrown out of the call. Dropping
      // `async` there would change that behaviour; the promise mistakes this rule would catch are
      // caught by no-floating-promises, no-misused-promises and await-thenable (all 'error').
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'error',
      // Forwarding a caught value unchanged (`catch (e) { return Promise.reject(e) }`, an emitter's
      // 'error' argument) is allowed, as only-throw-error allows `throw e` of an unknown; a rejection
      // with a value known not to be an Error (a string, a literal) is still an error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Dropping keys by rest-destructuring (`const { password: _p, ...rest } = options`) is the idiom.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // Formatting is checked once, by `npm run format:check` (Prettier itself, in CI), not a second
      // time through ESLint.
      'prettier/prettier': 'off',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // A `let` that a callback registered before its value exists reads (the lease's 'lost' listener
      // set up before the grant, a server's connection handler before the proxy object) cannot be a
      // `const`; every other single-assignment `let` is still an error.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Plain JavaScript (jest.config.js, scripts/*.mjs): no type information to check against.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
