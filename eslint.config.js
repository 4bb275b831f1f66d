// Lint rules: the recommended sets of ESLint and typescript-eslint, the few that catch real bugs here, and the layers (docs/architecture.md).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Relative imports that reach a folder of lib/ from anywhere in the tree (`../sim/…`, `../../lib/memory/…`). */
const libFolder = (...folders) => `^(\\./|(\\.\\./)+)(lib/)?(${folders.join('|')})/`;

/** Production code: what runs in a Lambda or as the CDK app. The simulator, the CLI and the in-memory ports are not. */
const PRODUCTION = ['lib/**/*.ts', 'functions/**/*.ts', 'forecasting/**/*.ts', 'bin/app.ts'];
const NOT_PRODUCTION = ['lib/sim/**', 'lib/cli/**', 'lib/memory/**'];

const noSimCliMemory = {
  regex: libFolder('sim', 'cli', 'memory'),
  message:
    'Production code does not import lib/sim, lib/cli or lib/memory: take the port from lib/adapters or lib/system (see docs/architecture.md).',
};

/** The pure core: data and a clock in, data out. No SDK, no network, no disk, no adapter. */
const PURE = ['lib/domain/**/*.ts', 'lib/optimizer/**/*.ts', 'forecasting/**/*.ts'];
const IO_MODULES = [
  'fs',
  'fs/*',
  'node:fs',
  'node:fs/*',
  'http',
  'https',
  'http2',
  'net',
  'tls',
  'dgram',
  'dns',
  'child_process',
  'node:http',
  'node:https',
  'node:http2',
  'node:net',
  'node:tls',
  'node:dgram',
  'node:dns',
  'node:child_process',
  '@aws-sdk/*',
  'aws-cdk-lib',
  'aws-cdk-lib/*',
  'constructs',
  'cdk-nag',
  '@middy/*',
  '@aws-lambda-powertools/*',
  '@google-cloud/*',
  '@azure/*',
  'dynalite',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'bench/results/', 'out/', 'coverage/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    files: PRODUCTION,
    ignores: [...NOT_PRODUCTION, ...PURE],
    rules: { 'no-restricted-imports': ['error', { patterns: [noSimCliMemory] }] },
  },
  {
    // The pure core: the rule above, and no I/O. (A later config's rule replaces an earlier one's: both are here.)
    files: PURE,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noSimCliMemory,
            {
              group: IO_MODULES,
              message:
                'lib/domain, lib/optimizer and forecasting/ do no I/O: take the data as an argument, and do the I/O in lib/runs or an adapter.',
            },
            {
              regex: libFolder(
                'adapters',
                'store',
                'connectors',
                'runs',
                'infra',
                'system',
                'notify',
                'ingest',
                'agent',
                'pricing',
                'attribution',
              ),
              message:
                'The pure core does not import adapters or use cases: dependencies point inward (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
);
