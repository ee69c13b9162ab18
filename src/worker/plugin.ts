/**
 * `TempohookPlugin`: add it to your own `Worker.create({ plugins: [new TempohookPlugin()] })`
 * (and to `bundleWorkflowCode({ plugins })` when you prebuild bundles). It bundles tempohook's
 * workflow interceptors and registers tempohook's activities on the worker.
 */
import { SimplePlugin } from '@temporalio/plugin';

export interface TempohookPluginOptions {
  /** Activities to register beside tempohook's own (the example worker passes its examples). */
  activities?: object;
}

export class TempohookPlugin extends SimplePlugin {
  constructor(options: TempohookPluginOptions = {}) {
    super({
      name: 'tempohook',
      ...(options.activities ? { activities: options.activities } : {}),
      workerInterceptors: {
        // An absolute path, so the bundler resolves it wherever the package is installed.
        workflowModules: [require.resolve('../workflows/interceptors')],
      },
    });
  }
}
