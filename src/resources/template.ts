/**
 * The small template language of webhook start templates: `{namespace}/{webhook}/{eventId}`,
 * `{payload.repository.full_name}`, `{header.x-github-event}`. A value that is exactly one
 * placeholder keeps the referenced value's type; otherwise placeholders are interpolated as text.
 */
export interface TemplateContext {
  namespace: string;
  webhook: string;
  eventId: string;
  deliveryId: string;
  source: string;
  profile: string;
  receivedAt: string;
  payload: unknown;
  headers: Readonly<Record<string, string | undefined>>;
}

const PLACEHOLDER = /\{([a-zA-Z][\w.-]*)\}/g;
const SINGLE_PLACEHOLDER = /^\{([a-zA-Z][\w.-]*)\}$/;
const SCALAR_NAMES = ['namespace', 'webhook', 'eventId', 'deliveryId', 'source', 'profile', 'receivedAt'] as const;

/** Names a placeholder may start with; used to validate templates when a resource is applied. */
export function invalidPlaceholders(template: string): string[] {
  const bad: string[] = [];
  for (const [, ref] of template.matchAll(PLACEHOLDER)) {
    const head = ref!.split('.')[0]!;
    if (!(SCALAR_NAMES as readonly string[]).includes(head) && head !== 'payload' && head !== 'header') bad.push(ref!);
    else if ((head === 'payload' || head === 'header') && !ref!.includes('.')) bad.push(ref!);
  }
  return bad;
}

function lookup(ref: string, ctx: TemplateContext): unknown {
  const [head, ...rest] = ref.split('.');
  if (head === 'header') return ctx.headers[rest.join('.').toLowerCase()];
  if (head === 'payload') {
    let value: unknown = ctx.payload;
    for (const key of rest) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  }
  return ctx[head as (typeof SCALAR_NAMES)[number]];
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Renders a template to text (for workflow ids, summaries). */
export function renderText(template: string, ctx: TemplateContext): string {
  return template.replace(PLACEHOLDER, (_m, ref: string) => asText(lookup(ref, ctx)));
}

/** Renders a mapping value: strings are templates, other JSON values pass through unchanged. */
export function renderValue(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') {
    const single = SINGLE_PLACEHOLDER.exec(value);
    return single ? lookup(single[1]!, ctx) : renderText(value, ctx);
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, ctx));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, ctx)]));
  }
  return value;
}
