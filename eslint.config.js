import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

// The floors of packages/custos/src (docs/architecture.md): a folder imports only from floors below
// it, a domain reaches another domain through its index.ts only, and the SDK sees the server's
// view types only. Tests and benches reach inside on purpose and are not held to it.
const SRC = 'packages/custos/src';
const DOMAINS = ['identity', 'data', 'vault', 'rights', 'mail', 'policy', 'retention'];
const floor = (type, folders) => folders.map((folder) => ({ type, pattern: `${SRC}/${folder}` }));
const below = (...types) => ({ to: { element: { types: { anyOf: types } } } });

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.custos/**', '**/.custos/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly', setImmediate: 'readonly' } },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/include': ['packages/*/src/**/*.ts'],
      'boundaries/elements': [
        ...floor('core', ['core']),
        ...floor('storage', ['db', 'crypto']),
        ...floor('infrastructure', ['jobs', 'ratelimit', 'audit']),
        ...floor('domain', DOMAINS),
        ...floor('http', ['http']),
        ...floor('cli', ['cli']),
        // Last: what stands in src/ itself, the composition root (app.ts) and the files that build
        // what it builds (keys.ts, an export builder's process) or show it (views.ts).
        { type: 'composition', pattern: SRC },
        { type: 'sdk', pattern: 'packages/client/src' },
        { type: 'web', pattern: 'packages/web/src' },
      ],
    },
    rules: {
      'boundaries/no-unknown-files': 'error',
      'boundaries/dependencies': ['error', {
        default: 'disallow',
        // npm's packages and node's own are checked too (the SDK may use none), and a local file
        // outside every element is an error rather than a blind spot.
        checkAllOrigins: true,
        checkUnknownLocals: true,
        message: 'a {{from.type}} file may not import this: a folder imports only from the floors below it, a domain through its index.ts, the SDK only the server\'s view types (docs/architecture.md)',
        policies: [
          // Within one folder anything goes (the rule does not look); npm's packages and node's own
          // too, but in the SDK (below).
          { allow: { to: { module: { origin: ['external', 'core'] } } } },
          { from: { element: { type: 'storage' } }, allow: below('core', 'storage') },
          { from: { element: { type: 'infrastructure' } }, allow: below('core', 'storage', 'infrastructure') },
          { from: { element: { types: { anyOf: ['domain', 'http', 'composition'] } } }, allow: below('core', 'storage', 'infrastructure') },
          // A domain is entered by its index.ts only, from another domain or a floor above.
          {
            from: { element: { types: { anyOf: ['domain', 'http', 'composition', 'cli'] } } },
            allow: { to: { element: { type: 'domain', fileInternalPath: 'index.ts' } } },
          },
          { from: { element: { type: 'composition' } }, allow: below('http', 'composition') },
          // The CLI constructs nothing: it asks the composition files (app.ts, operator.ts) and prints.
          { from: { element: { type: 'cli' } }, allow: below('core', 'composition') },
          // The SDK: the server's view types, type-only; the dashboard: the SDK.
          { from: { element: { type: 'sdk' } }, disallow: { to: { module: { origin: ['external', 'core'] } } } },
          { from: { element: { type: 'sdk' } }, allow: { to: { module: { source: 'custos', internalPath: 'views' } }, dependency: { kind: 'type' } } },
          { from: { element: { type: 'web' } }, allow: below('sdk') },
        ],
      }],
    },
  },
);
