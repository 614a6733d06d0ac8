// ESLint flat config. Type-aware typescript-eslint for the .ts sources, an import-cycle check, and
// the engine purity rule: src/engine is a pure function of (state, input, context), so IO, time,
// randomness and the outer layers are forbidden there mechanically rather than by review.
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

const TS_FILES = ['**/*.ts'];
const ENGINE_FILES = ['src/engine/**/*.ts'];

/** Packages that do IO, keep time or make ids: the shell's business, never the engine's. */
const IMPURE_PACKAGES = ['amqplib', 'kysely', 'mysql2', 'pino', 'uuid', 'prom-client'];
/** Layers outside the engine; the dependency points inwards only. */
const OUTER_LAYERS = ['adapters', 'app', 'rpc', 'cli'];

const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const enginePurity = {
  name: 'flow-manager/engine-purity',
  files: ENGINE_FILES,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        // Exact names: `fs`, `fs/promises`, `timers/promises`, ... (bare builtins).
        paths: builtinModules
          .filter((name) => !name.startsWith('_'))
          .map((name) => ({ name, message: 'src/engine must stay pure: no node builtins.' })),
        patterns: [
          { group: ['node:*'], message: 'src/engine must stay pure: no node builtins.' },
          {
            // The package and any subpath of it (`mysql2/promise`, `kysely/helpers/mysql`).
            regex: `^(${IMPURE_PACKAGES.map(escapeRegex).join('|')})(/.*)?$`,
            message: 'src/engine must stay pure: IO, logging and id generation belong to the shell.',
          },
          {
            group: OUTER_LAYERS.flatMap((dir) => [`**/${dir}`, `**/${dir}/**`]),
            message: 'src/engine may not depend on adapters, app, rpc or cli: dependencies point inwards.',
          },
        ],
      },
    ],
    'no-restricted-globals': [
      'error',
      ...[
        'Date',
        'setTimeout',
        'setInterval',
        'setImmediate',
        'clearTimeout',
        'clearInterval',
        'clearImmediate',
        'queueMicrotask',
        'fetch',
        'process',
        'crypto',
        'performance',
        'console',
      ].map((name) => ({
        name,
        message: `src/engine must stay pure: \`${name}\` is IO, time or randomness; take it from the context.`,
      })),
    ],
    'no-restricted-properties': [
      'error',
      {
        object: 'Math',
        property: 'random',
        message: 'src/engine must stay pure: randomness comes in through the context.',
      },
      {
        object: 'globalThis',
        message: 'src/engine must stay pure: no reaching for globals through globalThis.',
      },
    ],
  },
};

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'bench/results/'] },
  {
    name: 'flow-manager/javascript',
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
  {
    name: 'flow-manager/typescript',
    files: TS_FILES,
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Imports end in `.ts`, so plain node resolution finds the file; no TypeScript resolver needed.
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      'import-x/no-cycle': 'error',
    },
  },
  enginePurity,
  {
    // Tests read loosely typed wire replies and rows; `any` there keeps assertions short.
    name: 'flow-manager/tests',
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
