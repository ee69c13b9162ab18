/**
 * The layer picture (scripts/layers.json) holds: the lint rule refuses an upward import and lets a
 * downward one through, and the import graph of src/ has no upward import and no circle.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { ESLint } from 'eslint';
import { analyseImports, formatAnalysis, isClean, type LayerPicture } from '../../scripts/import-graph';

const ROOT = path.resolve(__dirname, '../..');

// The project's own eslint.config.mjs, only the import rule, and without type information (which
// that rule does not need) so a check takes a moment instead of a whole program build.
const eslint = new ESLint({
  cwd: ROOT,
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
});

async function importErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
  return result!.messages.map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('lint: imports point down', () => {
  test('the store may not import the ingress', async () => {
    const errors = await importErrors(
      'src/store/sql.ts',
      "import { createApp } from '../ingress/app';\nexport { createApp };\n",
    );
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /^no-restricted-imports: .*src\/store sits below src\/ingress/);
  });

  test('outbound may not import the CLI, not even a type', async () => {
    const errors = await importErrors(
      'src/outbound/subscriptions.ts',
      "import type { CliContext } from '../cli/api-client';\nexport type X = CliContext;\n",
    );
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /src\/outbound sits below src\/cli/);
  });

  test('a root module may not import a folder above it', async () => {
    const errors = await importErrors(
      'src/errors.ts',
      "import { createStore } from './store';\nexport { createStore };\n",
    );
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /src\/errors sits below src\/store/);
  });

  test('the ingress and the activities never import each other', async () => {
    const errors = await importErrors(
      'src/ingress/app.ts',
      "import { createNotificationActivities } from '../activities/notifications';\nexport { createNotificationActivities };\n",
    );
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0]!, /src\/ingress and src\/activities are kept apart/);
  });

  test('imports down, and within a folder, pass', async () => {
    const code = [
      "import { TempohookError } from '../errors';",
      "import type { Store } from '../store/types';",
      "import { describeTemporalError } from '../temporal/errors';",
      "import { deliverEventWorkflowId } from './deliver-event';",
      "import { webhookSpec } from '../resources/schemas';",
      'export { TempohookError, describeTemporalError, deliverEventWorkflowId, webhookSpec, type Store };',
    ].join('\n');
    assert.deepEqual(await importErrors('src/outbound/subscriptions.ts', `${code}\n`), []);
    assert.deepEqual(
      await importErrors(
        'src/cli/main.ts',
        "import { startIngress } from '../runtime/ingress-runtime';\nexport { startIngress };\n",
      ),
      [],
    );
  });

  test('workflow code keeps its sandbox fence and may type its activities', async () => {
    assert.deepEqual(
      await importErrors(
        'src/workflows/wait-for-webhook.ts',
        "import type { WaitActivities } from '../activities/waits';\nexport type A = WaitActivities;\n",
      ),
      [],
    );
    const value = await importErrors(
      'src/workflows/wait-for-webhook.ts',
      "import { createWaitActivities } from '../activities/waits';\nexport { createWaitActivities };\n",
    );
    assert.ok(value.length > 0 && value.every((m) => m.startsWith('no-restricted-imports')), value.join('\n'));
    const node = await importErrors('src/workflows/definitions.ts', "import pg from 'pg';\nexport { pg };\n");
    assert.equal(node.length, 1, node.join('\n'));
    const upward = await importErrors(
      'src/workflows/definitions.ts',
      "import { sendNotification } from '../outbound/send-notification';\nexport { sendNotification };\n",
    );
    assert.equal(upward.length, 1, upward.join('\n'));
  });
});

describe('import graph (npm run deps)', () => {
  test('src/ has no upward import, no import between apart peers and no circle', () => {
    const analysis = analyseImports(path.join(ROOT, 'src'));
    assert.ok(analysis.modules.length > 50 && analysis.edges.length > 100, 'the graph reads the real tree');
    assert.ok(isClean(analysis), formatAnalysis(analysis));
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'tempohook-import-graph-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };

  test('finds an upward import, a type-only exception, an apart pair and circles in a small tree', () => {
    const picture: LayerPicture = {
      tiers: [['base'], ['low'], ['mid', 'side'], ['top', 'extra']],
      apart: [['mid', 'side']],
      typeOnly: [{ from: 'low', to: 'extra' }],
    };
    write('base.ts', 'export const base = 1;\n');
    write('extra/e.ts', 'export type E = number;\n');
    write(
      'low/a.ts',
      "import { b } from './b';\nimport type { E } from '../extra/e';\nexport const a = b; export type U = E;\n",
    );
    write('low/b.ts', "import { a } from './a';\nimport { base } from '../base';\nexport const b = () => a ?? base;\n");
    write('mid/m.ts', "import { s } from '../side';\nexport const m = s;\n");
    write('side/index.ts', "export const s = 1;\nexport const lazy = () => require('../top/t');\n");
    write('top/t.ts', "import { m } from '../mid/m';\nimport { b } from '../low/b';\nexport const t = [m, b];\n");
    const analysis = analyseImports(dir, picture);
    const arrows = (edges: typeof analysis.upward) => edges.map((e) => `${e.from} → ${e.to}`);
    assert.deepEqual(arrows(analysis.upward), ['side/index.ts → top/t.ts']);
    assert.deepEqual(arrows(analysis.apart), ['mid/m.ts → side/index.ts']);
    assert.deepEqual(analysis.moduleCircles, [
      ['low/a.ts', 'low/b.ts'],
      ['mid/m.ts', 'side/index.ts', 'top/t.ts'],
    ]);
    assert.deepEqual(analysis.folderCircles, [['mid', 'side', 'top']]);
    assert.deepEqual(analysis.levels, [['base', 'extra'], ['low'], ['mid', 'side', 'top']]);
    assert.equal(isClean(analysis), false);
  });
});
