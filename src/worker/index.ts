/** `tempohook/worker`: what a user's worker process needs. */
export { TempohookPlugin, type TempohookPluginOptions } from './plugin';
