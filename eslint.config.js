// ESLint over the TypeScript sources: typescript-eslint's recommended rules (syntax only, not the
// type-checked set, so a run over the whole tree takes seconds; tsc already checks the types) plus
// a few rules that catch real bugs here. `npm run lint`; part of `npm run check` and `.ci/run`.
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
