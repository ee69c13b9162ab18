-- Issue 13 item 7: API tokens and the audit log of the management API.
-- A token's value is shown once, at creation; only its SHA-256 (hex) is kept, and requests are
-- authenticated by looking that hash up (one indexed statement per request, so a revoked token,
-- whose row is deleted, or an expired one is refused at once by every replica).
CREATE TABLE api_tokens (
  id         uuid        PRIMARY KEY,
  name       text        NOT NULL UNIQUE,
  token_hash text        NOT NULL UNIQUE,
  -- The token's first characters ("thk_" and six more), to tell tokens apart; not enough to use one.
  prefix     text        NOT NULL,
  role       text        NOT NULL CHECK (role IN ('read', 'operate', 'admin')),
  -- The namespaces it may reach; NULL: every namespace.
  namespaces text[],
  expires_at timestamptz,
  created_by text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per management call that changes something (and per refused attempt at one):
-- who (a token's name, or "admin" for TEMPOHOOK_ADMIN_TOKEN), what, and the answer's status.
-- Never a token, a secret value or a request body.
CREATE TABLE audit_log (
  id         uuid        PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  actor      text        NOT NULL,
  method     text        NOT NULL,
  route      text        NOT NULL,
  resource   text,
  namespace  text,
  status     integer     NOT NULL,
  request_id text
);

CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor_at_idx ON audit_log (actor, at DESC, id DESC);
