/**
 * Process configuration, parsed once at start from the environment. A bad value stops the
 * process with the variable's name and what is wrong.
 */
import { z } from 'zod';
import { TempohookError } from '../errors';
import { durationSpec } from '../resources/duration';
import { DEFAULT_MAX_JSON_DEPTH, MAX_JSON_DEPTH_LIMIT } from '../resources/json-limits';

const port = z.coerce.number().int().min(0).max(65535);

export const envSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Public base URL of the ingress (for endpoint URLs shown to users and Twilio's signed URL). */
  TEMPOHOOK_PUBLIC_URL: z.url().optional(),
  TEMPOHOOK_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TEMPOHOOK_DATA_DIR: z.string().min(1).default('.tempohook'),
  TEMPOHOOK_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1536 * 1024, 'must be at most 1572864 (1.5 MiB): Temporal refuses larger payloads')
    .default(1024 * 1024),
  /** Deepest JSON nesting of a management body, and of a delivery unless its webhook sets spec.limits.maxDepth. */
  TEMPOHOOK_MAX_JSON_DEPTH: z.coerce.number().int().min(1).max(MAX_JSON_DEPTH_LIMIT).default(DEFAULT_MAX_JSON_DEPTH),
  /** Key for encrypting secrets at rest: 32 bytes, base64 or hex. */
  TEMPOHOOK_SECRET_KEY: z.string().optional(),
  TEMPOHOOK_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  /** A Temporal CLI profile (TEMPORAL_CONFIG_FILE or ~/.config/temporalio/temporal.toml); read by @temporalio/envconfig. */
  TEMPORAL_PROFILE: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_CA_PATH: z.string().optional(),
  /** Seconds a provider is asked to wait (Retry-After) when Temporal or the store is down. */
  TEMPOHOOK_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).default(5),
  /** How long the ingress waits for Temporal to accept a start before answering 503. */
  TEMPOHOOK_TEMPORAL_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  /** Consecutive unavailable answers after which starts get 503 at once, one probe at a time (the circuit). */
  TEMPOHOOK_TEMPORAL_CIRCUIT_THRESHOLD: z.coerce.number().int().min(1).default(5),
  /** The Temporal Web UI the console links runs to (default the dev server's, http://localhost:8233). */
  TEMPOHOOK_TEMPORAL_UI_URL: z.url().optional(),
  /** CIDRs and hosts outbound notifications may reach although private or loopback. */
  TEMPOHOOK_OUTBOUND_ALLOW: z.string().optional(),
  /** How long an idle HTTP keep-alive connection stays open; above a load balancer's idle timeout. */
  TEMPOHOOK_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(5000),
  /** A YAML/JSON file of global subscriptions, read by workers. */
  TEMPOHOOK_SUBSCRIPTIONS_FILE: z.string().optional(),
  /** `tempohook worker` serves Prometheus metrics at http://METRICS_HOST:PORT/metrics (the ingress serves them on PORT). */
  TEMPOHOOK_METRICS_PORT: port.optional(),
  TEMPOHOOK_METRICS_HOST: z.string().min(1).optional(),
  /** How long the delivery log is kept, unless a webhook sets spec.retention.deliveries (`30d`). */
  TEMPOHOOK_DELIVERY_RETENTION: durationSpec.default(30 * 86400),
  /** How long verified deliveries' raw bodies and headers are kept, unless a webhook sets spec.retention.payloads (`7d`; `0`: none). */
  TEMPOHOOK_PAYLOAD_RETENTION: durationSpec.default(7 * 86400),
  /** Replays per second of a bulk replay that names no `rate` (`POST /v1/webhooks/{name}/replay`). */
  TEMPOHOOK_REPLAY_RATE: z.coerce.number().min(0.1).max(1000).default(10),
  /** How long notification deliveries and their attempts are kept, unless a subscription sets spec.retention.deliveries. */
  TEMPOHOOK_NOTIFICATION_RETENTION: durationSpec.default(30 * 86400),
  /** How long the management API's audit log is kept. */
  TEMPOHOOK_AUDIT_RETENTION: durationSpec.default(90 * 86400),
});

export type Env = z.infer<typeof envSchema>;

/** Parses the environment, or throws one error that lists every bad variable. */
export function parseEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  ');
  throw new TempohookError('invalid_config', `Invalid configuration:\n  ${problems}`, 500);
}
