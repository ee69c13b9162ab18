/**
 * Bundles the test workflows (test/support/workflows.ts) once per test run; workers in every
 * test file load the result with `workflowBundle: { codePath }`.
 */
import { promises as fs } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger, type BundlerPlugin } from '@temporalio/worker';
import { TempohookPlugin } from '../../src/worker/plugin';

/**
 * Bundler plugins, exactly as production workers pass them. With a prebuilt bundle the worker
 * ignores its plugins' workflow interceptor modules, so any plugin that ships interceptors
 * (TempohookPlugin) must be listed here too.
 */
export const testBundlerPlugins: BundlerPlugin[] = [new TempohookPlugin()];

/** Bundles the test workflows into `outPath`; returns its size in bytes. */
export async function bundleTestWorkflows(outPath: string): Promise<{ bytes: number }> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows'),
    logger: new DefaultLogger('WARN'),
    plugins: testBundlerPlugins,
  });
  await fs.writeFile(outPath, code);
  return { bytes: Buffer.byteLength(code) };
}
