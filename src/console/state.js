// What every page shares: the console's configuration, who is signed in, the status line.

export const state = {
  /** `config.json`: `{temporalUiUrl, temporalNamespace}`. */
  config: { temporalUiUrl: '', temporalNamespace: 'default' },
  /** `GET /v1/whoami` when the ingress has it, else `{name: 'token'}`. */
  identity: null,
};

/** One line under the header, read out by screen readers; errors stay until the next message. */
export function say(message, kind = 'info') {
  const status = document.getElementById('status');
  status.textContent = message ?? '';
  status.className = `status status-${kind}`;
  status.hidden = !message;
}

/** An ApiError (or any error) as the status line says it. */
export function sayError(err, doing) {
  say(`${doing ? `${doing}: ` : ''}${err?.message ?? String(err)}`, 'error');
}

/** The run in the Temporal Web UI: `<ui>/namespaces/<ns>/workflows/<workflowId>/<runId>` (as the API links it). */
export function runUrl(workflowId, runId, namespace = state.config.temporalNamespace) {
  if (!workflowId || !state.config.temporalUiUrl) return null;
  const parts = ['namespaces', namespace, 'workflows', workflowId, ...(runId ? [runId] : [])];
  return `${state.config.temporalUiUrl}/${parts.map((p) => encodeURIComponent(p)).join('/')}`;
}

/** False for a `read` token: buttons that change something are shown disabled (the API would answer 403). */
export function canOperate() {
  return state.identity?.role !== 'read';
}

/** Attributes that disable an operating button for a read-only token, saying why. */
export function operateAttrs() {
  return canOperate() ? {} : { disabled: true, title: 'Needs a token with the operate role' };
}
