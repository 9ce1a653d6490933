// ESLint over the TypeScript sources: typescript-eslint's recommended rules (syntax only, not the
// whole type-checked set; tsc already checks the types) plus a few rules that catch real bugs here,
// two of them with type information (promises nobody awaits: ~30 s more on a cold cache).
// `npm run lint`; part of `npm run check` and `.ci/run`.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.cache/', 'test-artifacts/', 'web/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Globals matter only to the plain .js/.mjs files (this one, .ci/): in TypeScript, tsc checks
    // names and typescript-eslint turns no-undef off.
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    // A disable comment that no longer disables anything hides nothing: take it out.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks a binding kept on purpose (a callback's shape, a skipped tuple slot).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // `==` coerces ('' == 0); `== null` is the one idiom that means "null or undefined".
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // `x === x` (NaN checks belong to Number.isNaN) and a loop whose body always leaves are slips.
      'no-self-compare': 'error',
      'no-unreachable-loop': 'error',
    },
  },
  {
    // A promise nobody awaits or catches loses its rejection (an unhandled rejection ends Node), and
    // an async function where a plain callback is expected runs unchecked. `void p` says "on purpose".
    files: ['server/**/*.ts', 'web/src/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Handlers may be async where the caller ignores the result (addEventListener, ws.on).
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    // The service logs through the injected Logger (server/log.ts), so journald gets one format and
    // tests stay quiet; the pages have no console to speak to. A stray console call is a leftover.
    files: ['server/**/*.ts', 'web/src/**/*.ts'],
    ignores: ['server/log.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Strips C0/C1 controls from user text on purpose: control characters are the point here.
    files: ['server/http/text.ts'],
    rules: { 'no-control-regex': 'off' },
  },
);
