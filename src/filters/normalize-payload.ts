/**
 * A normalized view of well-known payload families, so one start mapping or filter
 * (`{normalized.repository}`, `normalized.tag`) works across registries and forges. Only the
 * fields a family really carries are set; the raw payload stays in `webhook_payload`.
 */

/** The normalized view; every field but `kind` and `provider` is optional. */
export interface NormalizedPayload {
  [field: string]: unknown;
  /** `image.pushed`, `git.push` or `pull_request`. */
  kind: string;
  /** `dockerhub`, `harbor`, `github` or `gitlab`. */
  provider: string;
  repository?: string;
  tag?: string;
  digest?: string;
  ref?: string;
  branch?: string;
  commit?: string;
  /** ISO 8601. */
  pushedAt?: string;
  actor?: string;
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Epoch seconds (Docker Hub, Harbor, GitHub `pushed_at`) or an ISO string, as ISO 8601. */
function isoTime(value: unknown): string | undefined {
  const date =
    typeof value === 'number' ? new Date(value * 1000) : typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

/** Drops undefined fields, so an absent field is absent rather than `undefined`. */
function compact(view: NormalizedPayload): NormalizedPayload {
  return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined)) as NormalizedPayload;
}

function refParts(ref: string | undefined): { branch?: string; tag?: string } {
  if (ref?.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length) };
  if (ref?.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
  return {};
}

function dockerHub(p: Json): NormalizedPayload | undefined {
  const push = obj(p.push_data);
  const repository = str(obj(p.repository)?.repo_name);
  if (!push || !repository) return undefined;
  return {
    kind: 'image.pushed',
    provider: 'dockerhub',
    repository,
    tag: str(push.tag),
    pushedAt: isoTime(push.pushed_at),
    actor: str(push.pusher),
  };
}

function harborPush(data: Json | undefined, at: unknown, operator: unknown): NormalizedPayload | undefined {
  const resources = data?.resources;
  if (!Array.isArray(resources)) return undefined;
  const first = obj(resources[0]);
  const repo = obj(data?.repository);
  const repository =
    str(repo?.repo_full_name) ??
    (str(repo?.namespace) && str(repo?.name) ? `${str(repo?.namespace)}/${str(repo?.name)}` : undefined);
  return {
    kind: 'image.pushed',
    provider: 'harbor',
    repository,
    tag: str(first?.tag),
    digest: str(first?.digest),
    pushedAt: isoTime(at),
    actor: str(operator),
  };
}

function github(p: Json, event: string | undefined): NormalizedPayload | undefined {
  const repository = str(obj(p.repository)?.full_name);
  const actor = str(obj(p.sender)?.login) ?? str(obj(p.pusher)?.name);
  if (event === 'push') {
    const ref = str(p.ref);
    return {
      kind: 'git.push',
      provider: 'github',
      repository,
      ref,
      ...refParts(ref),
      commit: str(p.after),
      pushedAt: isoTime(obj(p.repository)?.pushed_at),
      actor,
    };
  }
  if (event === 'pull_request') {
    const pr = obj(p.pull_request);
    if (!pr) return undefined;
    const head = obj(pr.head);
    return {
      kind: 'pull_request',
      provider: 'github',
      repository,
      action: str(p.action),
      number: typeof p.number === 'number' ? p.number : undefined,
      branch: str(head?.ref),
      baseBranch: str(obj(pr.base)?.ref),
      commit: str(head?.sha),
      actor,
    };
  }
  return undefined;
}

function gitlabPush(p: Json): NormalizedPayload {
  const ref = str(p.ref);
  return {
    kind: 'git.push',
    provider: 'gitlab',
    repository: str(obj(p.project)?.path_with_namespace),
    ref,
    ...refParts(ref),
    commit: str(p.checkout_sha) ?? str(p.after),
    actor: str(p.user_username),
  };
}

/**
 * The normalized view of a payload from a known family: Docker Hub and Harbor (default and
 * CloudEvents) image pushes, GitHub push and pull_request (by `x-github-event`), GitLab push.
 * Undefined for anything else.
 */
export function normalizePayload(
  payload: unknown,
  headers: Readonly<Record<string, string | undefined>>,
): NormalizedPayload | undefined {
  const p = obj(payload);
  if (!p) return undefined;
  let view: NormalizedPayload | undefined;
  const githubEvent = headers['x-github-event'];
  if (githubEvent) view = github(p, githubEvent);
  else if (p.object_kind === 'push') view = gitlabPush(p);
  else if (p.type === 'PUSH_ARTIFACT') view = harborPush(obj(p.event_data), p.occur_at, p.operator);
  else if (p.type === 'harbor.artifact.pushed') view = harborPush(obj(p.data), p.time, p.operator);
  else if (p.push_data !== undefined) view = dockerHub(p);
  return view && compact(view);
}
