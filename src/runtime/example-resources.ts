/** Applies the example resources in `examples/` on a first `tempohook dev`, so a curl works at once. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Logger } from '../logger';
import { DEFAULT_NAMESPACE, describeZodError, secretResource, webhookResource } from '../resources/schemas';
import type { Store, WebhookRecord } from '../store/types';
import { TempohookError } from '../errors';

export const EXAMPLES_DIR = path.join(__dirname, '..', '..', 'examples');

/** Reads every document of every YAML file in `dir`, Secrets first. */
export async function readExampleDocuments(
  dir = EXAMPLES_DIR,
): Promise<Array<{ file: string; doc: Record<string, unknown> }>> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const docs: Array<{ file: string; doc: Record<string, unknown> }> = [];
  for (const file of files) {
    for (const document of parseAllDocuments(await readFile(path.join(dir, file), 'utf8'))) {
      const doc = document.toJS() as Record<string, unknown> | null;
      if (doc) docs.push({ file, doc });
    }
  }
  return docs.sort((a, b) => Number(b.doc.kind === 'Secret') - Number(a.doc.kind === 'Secret'));
}

/** Creates the examples that do not exist yet; existing resources are left as the user changed them. */
export async function applyExampleResources(
  store: Store,
  logger: Logger,
  dir = EXAMPLES_DIR,
): Promise<WebhookRecord[]> {
  const webhooks: WebhookRecord[] = [];
  for (const { file, doc } of await readExampleDocuments(dir)) {
    const schema = doc.kind === 'Secret' ? secretResource : webhookResource;
    const parsed = schema.safeParse(doc);
    if (!parsed.success)
      throw new TempohookError('invalid_example', `${file}: ${describeZodError(parsed.error).message}`);
    const { name, namespace = DEFAULT_NAMESPACE } = parsed.data.metadata;
    if (parsed.data.kind === 'Secret') {
      if (!(await store.secrets.get(namespace, name))) {
        await store.secrets.put(namespace, name, { ...parsed.data.spec.stringData });
        logger.info('example secret created', { namespace, name });
      }
      continue;
    }
    const existing = await store.webhooks.get(namespace, name);
    if (existing) webhooks.push(existing);
    else {
      webhooks.push((await store.webhooks.apply(namespace, name, doc.spec as Record<string, unknown>)).webhook);
      logger.info('example webhook created', { namespace, name });
    }
  }
  return webhooks;
}
