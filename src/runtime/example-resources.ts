/** Applies the example resources in `examples/` on a first `tempohook dev`, so a curl works at once. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Logger } from '../logger';
import { kindNamed } from '../resources/kinds';
import { webhookKind } from '../resources/kinds/webhook';
import { DEFAULT_NAMESPACE, describeZodError } from '../resources/schemas';
import type { Store, WebhookRecord } from '../store/types';
import { TempohookError } from '../errors';

export const EXAMPLES_DIR = path.join(__dirname, '..', '..', 'examples');

/** Reads every document of every YAML file in `dir`, Secrets (the kinds applied first) first. */
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
  const first = (doc: Record<string, unknown>) => Number(kindNamed(doc.kind)?.appliedFirst === true);
  return docs.sort((a, b) => first(b.doc) - first(a.doc));
}

/** Creates the examples that do not exist yet; existing resources are left as the user changed them. */
export async function applyExampleResources(
  store: Store,
  logger: Logger,
  dir = EXAMPLES_DIR,
): Promise<WebhookRecord[]> {
  const webhooks: WebhookRecord[] = [];
  for (const { file, doc } of await readExampleDocuments(dir)) {
    const kind = kindNamed(doc.kind);
    if (!kind)
      throw new TempohookError('invalid_example', `${file}: ${JSON.stringify(doc.kind)} is not a resource kind`);
    const parsed = kind.schema.safeParse(doc);
    if (!parsed.success)
      throw new TempohookError('invalid_example', `${file}: ${describeZodError(parsed.error).message}`);
    const { name, namespace = DEFAULT_NAMESPACE } = (parsed.data as { metadata: { name: string; namespace?: string } })
      .metadata;
    const repository = kind.repository(store);
    let record = await repository.get(namespace, name);
    if (!record) {
      record = (await repository.apply(namespace, name, parsed.data, doc.spec)).record;
      logger.info(`example ${kind.words.singular} created`, { namespace, name });
    }
    if (kind === webhookKind) webhooks.push(record as WebhookRecord);
  }
  return webhooks;
}
