// Lint: type-aware rules for the whole project, the layer picture of src/ (imports point down),
// and a sandbox fence around workflow code.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './scripts/layers.json' with { type: 'json' };

const nodeBuiltins = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'process',
  'readline',
  'stream',
  'tls',
  'url',
  'util',
  'worker_threads',
  'zlib',
];

/** The files of a folder of src/ (root modules such as src/errors.ts are folders of one file). */
const filesOf = (folder) => (layers.tiers[0].includes(folder) ? [`src/${folder}.ts`] : [`src/${folder}/**/*.ts`]);

/**
 * The imports a folder may not make, from scripts/layers.json: every folder of a higher tier, and
 * the peers it is kept apart from. Relative specifiers only (`../ingress/app`, `./store`): folder
 * names of src/ are unique, so a specifier's last `../` lands in src/.
 */
function layerPatterns(folder) {
  const tier = layers.tiers.findIndex((folders) => folders.includes(folder));
  const above = layers.tiers.slice(tier + 1).flat();
  const apart = layers.apart.filter((group) => group.includes(folder)).flat();
  const banned = [...new Set([...above, ...apart])].filter((f) => f !== folder);
  return banned.map((target) => ({
    regex: `^(\\./|(\\.\\./)+)${target}(\\.ts)?(/|$)`,
    message: above.includes(target)
      ? `src/${folder} sits below src/${target} (scripts/layers.json): imports point down. Move what both need to the lowest layer that uses it (npm run deps shows the picture).`
      : `src/${folder} and src/${target} are kept apart (they run in different processes; scripts/layers.json). Move what both need down a layer.`,
    ...(layers.typeOnly.some((t) => t.from === folder && t.to === target) ? { allowTypeImports: true } : {}),
  }));
}

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'bin/**', '.tempohook/**', '.tempohook-generated/**', 'eslint.config.mjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite', 'before', 'after'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    // The web console: plain ES modules for the browser, served as they are (no build, no types).
    files: ['src/console/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'navigator',
          'sessionStorage',
          'fetch',
          'URL',
          'URLSearchParams',
          'FormData',
          'HashChangeEvent',
          'Node',
          'Intl',
          'console',
          'setTimeout',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // The CLI loads commands lazily with require() so quick commands skip the worker's native bridge.
    files: ['src/cli/main.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Imports point down: one override per folder of src/ (the workflow fence below adds its own).
  ...layers.tiers
    .flat()
    .filter((folder) => folder !== 'workflows')
    .map((folder) => ({
      files: filesOf(folder),
      rules: { 'no-restricted-imports': ['error', { patterns: layerPatterns(folder) }] },
    })),
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node modules, no Node-only code of ours.
    files: ['src/workflows/**/*.ts', 'src/examples/workflows.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.flatMap((m) => [m, `node:${m}`]),
            'pg',
            'express',
            'zod',
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
          ],
          patterns: [
            { group: ['node:*'], message: 'Workflow code may not import Node modules.' },
            {
              group: [
                '**/ingress/**',
                '**/store/**',
                '**/verify/**',
                '**/cli/**',
                '**/runtime/**',
                '**/temporal/**',
                '**/worker/**',
                '**/config/**',
                '**/activities/**',
                '**/logger',
              ],
              message:
                'Workflow code may import only @temporalio/workflow and workflow-safe modules (src/workflows). Use `import type` for activity types.',
              allowTypeImports: true,
            },
            // Last override for these files, so it carries the layer rule of src/workflows too.
            ...layerPatterns('workflows'),
          ],
        },
      ],
    },
  },
);
