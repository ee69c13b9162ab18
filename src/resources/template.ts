/**
 * The small template language of webhook start templates: `{namespace}/{webhook}/{eventId}`,
 * `{payload.repository.full_name}`, `{header.x-github-event}`, `{normalized.repository}`. A value that is exactly one
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
  /** The normalized view of a known payload family (src/filters/normalize-payload.ts), if any. */
  normalized?: Readonly<Record<string, unknown>> | undefined;
}

const PLACEHOLDER = /\{([a-zA-Z][\w.-]*)\}/g;
const SINGLE_PLACEHOLDER = /^\{([a-zA-Z][\w.-]*)\}$/;
const SCALAR_NAMES = ['namespace', 'webhook', 'eventId', 'deliveryId', 'source', 'profile', 'receivedAt'] as const;
const PATH_NAMES = ['payload', 'header', 'normalized'];

/** Names a placeholder may start with; used to validate templates when a resource is applied. */
export function invalidPlaceholders(template: string): string[] {
  const bad: string[] = [];
  for (const [, ref] of template.matchAll(PLACEHOLDER)) {
    const head = ref!.split('.')[0]!;
    if (!(SCALAR_NAMES as readonly string[]).includes(head) && !PATH_NAMES.includes(head)) bad.push(ref!);
    else if (PATH_NAMES.includes(head) && !ref!.includes('.')) bad.push(ref!);
  }
  return bad;
}

function lookup(ref: string, ctx: TemplateContext): unknown {
  const [head, ...rest] = ref.split('.');
  if (head === 'header') return ctx.headers[rest.join('.').toLowerCase()];
  if (head === 'payload' || head === 'normalized') {
    let value: unknown = head === 'payload' ? ctx.payload : ctx.normalized;
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
function renderText(template: string, ctx: TemplateContext): string {
  return template.replace(PLACEHOLDER, (_m, ref: string) => asText(lookup(ref, ctx)));
}

/**
 * Renders an identifier template (workflow ids): every placeholder must resolve to a non-empty
 * value, else distinct events would collapse into one id. Returns the names that did not.
 */
export function renderIdentifier(template: string, ctx: TemplateContext): { value: string; unresolved: string[] } {
  const unresolved: string[] = [];
  const value = template.replace(PLACEHOLDER, (_m, ref: string) => {
    const text = asText(lookup(ref, ctx));
    if (text === '') unresolved.push(ref);
    return text;
  });
  return { value, unresolved };
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
