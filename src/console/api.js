// The console's only way to data: `/v1/` of the ingress that served it, with the token the
// operator signed in with (kept in sessionStorage: gone when the tab closes).

const TOKEN_KEY = 'tempohook.token';
/** `<mount>/v1/`: the console is served at `<mount>/console/`, embedded or not. */
const API_BASE = new URL('../v1/', document.baseURI);

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An answer other than 2xx: the API's `{error: {code, message}}`, or what stood in for it. */
export class ApiError extends Error {
  constructor(status, code, message, details, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    /** The whole answer (a failed replay names its new delivery beside the error). */
    this.body = body;
  }
  /** The route itself is not there: an ingress of a version without it. */
  get unavailable() {
    return this.status === 404 && (this.code === 'route_missing' || this.code === 'no_such_route');
  }
}

/** Called when the token is refused (401): the app signs out and asks again. */
let onUnauthorized = () => undefined;
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/** Query parameters without the empty ones. */
function search(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    for (const one of Array.isArray(value) ? value : [value]) query.append(name, String(one));
  }
  return query;
}

/**
 * `api('GET', 'webhooks/x/deliveries', { query, body })`: the parsed JSON of a 2xx answer, else
 * an ApiError. `path` is relative to /v1/ (its parts already encoded).
 */
export async function api(method, path, { query, body } = {}) {
  return request(new URL(path, API_BASE), method, { query, body });
}

/** The console's own `config.json` (behind the same token). */
export async function consoleConfig() {
  return request(new URL('config.json', document.baseURI), 'GET', {});
}

async function request(url, method, { query, body }) {
  const q = search(query);
  if ([...q].length > 0) url.search = q.toString();
  const headers = { accept: 'application/json' };
  const bearer = token.get();
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: 'omit',
      cache: 'no-store',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new ApiError(0, 'network', `The ingress did not answer (${err.message}).`);
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (res.ok) return json;
  const error = json && typeof json === 'object' ? json.error : null;
  if (res.status === 401) onUnauthorized();
  if (res.status === 404 && (!error || /^No such (tempohook )?route/.test(error.message ?? ''))) {
    throw new ApiError(
      404,
      'route_missing',
      `This ingress has no ${method} ${url.pathname} yet: upgrade tempohook to use it.`,
    );
  }
  throw new ApiError(
    res.status,
    error?.code ?? `http_${res.status}`,
    error?.message ?? `The ingress answered HTTP ${res.status}.`,
    error?.details,
    json,
  );
}

/** `?namespace=` for a resource outside `default`. */
export function inNamespace(namespace, params = {}) {
  return namespace && namespace !== 'default' ? { ...params, namespace } : params;
}

/** A name or id as one path segment. */
export const seg = (value) => encodeURIComponent(value);
