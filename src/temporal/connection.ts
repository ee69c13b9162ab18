/**
 * The one way tempohook processes reach Temporal: a local dev server, a self-hosted cluster,
 * or Temporal Cloud (API key or mTLS). The process config fills it from a Temporal CLI profile
 * and the TEMPORAL_* variables the Temporal CLI and SDKs read (`@temporalio/envconfig`), plus
 * tempohook's own TEMPORAL_TLS_CERT_PATH / _KEY_PATH / _CA_PATH.
 */
import { promises as fs } from 'node:fs';
import {
  Client,
  Connection,
  type ConnectionPlugin,
  type TLSConfig,
  type WorkflowClientInterceptor,
} from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { TempohookError } from '../errors';

/** Where and how to reach Temporal. */
export interface TemporalConnectionConfig {
  /** TEMPORAL_ADDRESS, `host:port`. Default 127.0.0.1:7233. */
  address?: string;
  /** TEMPORAL_NAMESPACE. Default `default`. */
  namespace?: string;
  /** TEMPORAL_API_KEY; turns TLS on. */
  apiKey?: string;
  /** TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH: the client certificate pair for mTLS. */
  tlsCertPath?: string;
  tlsKeyPath?: string;
  /** TEMPORAL_TLS_CA_PATH: CA of the server's certificate, when the system does not trust it. */
  tlsCaPath?: string;
  /** TLS as a Temporal CLI profile describes it (files already read); tempohook's TLS paths add to it. */
  profileTls?: TLSConfig | boolean;
  /** gRPC metadata from the profile (`grpc_meta`, TEMPORAL_GRPC_META_*). */
  metadata?: Record<string, string>;
}

/**
 * The connection a Temporal CLI profile describes, with the TEMPORAL_* variables the Temporal CLI
 * reads applied over it: TEMPORAL_PROFILE (default "default"), TEMPORAL_CONFIG_FILE (default
 * ~/.config/temporalio/temporal.toml), TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH/_DATA, TEMPORAL_TLS_CLIENT_KEY_PATH/_DATA,
 * TEMPORAL_TLS_SERVER_CA_CERT_PATH/_DATA, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_GRPC_META_*.
 * No file and no variables: an empty config (the defaults apply).
 */
export function loadTemporalProfile(env: NodeJS.ProcessEnv = process.env): TemporalConnectionConfig {
  const vars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({
      ...(vars.TEMPORAL_PROFILE ? { profile: vars.TEMPORAL_PROFILE } : {}),
      overrideEnvVars: vars,
    });
  } catch (err) {
    const file = vars.TEMPORAL_CONFIG_FILE ?? '~/.config/temporalio/temporal.toml';
    throw new TempohookError(
      'invalid_config',
      `The Temporal client configuration (${file}${vars.TEMPORAL_PROFILE ? `, profile ${vars.TEMPORAL_PROFILE}` : ''}) cannot be used: ${(err as Error).message}. Fix it, or unset TEMPORAL_PROFILE / TEMPORAL_CONFIG_FILE.`,
      500,
    );
  }
  const { address, apiKey, tls, metadata } = loaded.connectionOptions;
  return {
    ...(address ? { address } : {}),
    ...(loaded.namespace ? { namespace: loaded.namespace } : {}),
    ...(apiKey && typeof apiKey === 'string' ? { apiKey } : {}),
    ...(tls !== undefined && tls !== null ? { profileTls: tls } : {}),
    ...(metadata && Object.keys(metadata).length > 0 ? { metadata: metadata as Record<string, string> } : {}),
  };
}

/** Options valid for both `Connection.connect` (client) and `NativeConnection.connect` (worker); reads the TLS files. */
export async function temporalConnectionOptions(
  config: TemporalConnectionConfig,
): Promise<{ address: string; tls: TLSConfig | boolean; apiKey?: string; metadata?: Record<string, string> }> {
  const address = config.address || '127.0.0.1:7233';
  if (Boolean(config.tlsCertPath) !== Boolean(config.tlsKeyPath)) {
    throw new TempohookError(
      'invalid_config',
      'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together (the client certificate and its key for mTLS): set both or neither.',
      500,
    );
  }
  const read = async (variable: string, file: string) => {
    try {
      return await fs.readFile(file);
    } catch (err) {
      throw new TempohookError(
        'invalid_config',
        `${variable}=${file} cannot be read (${(err as Error).message}); fix the path or unset ${variable}.`,
        500,
      );
    }
  };
  const tls: TLSConfig = typeof config.profileTls === 'object' ? { ...config.profileTls } : {};
  if (config.tlsCertPath && config.tlsKeyPath) {
    tls.clientCertPair = {
      crt: await read('TEMPORAL_TLS_CERT_PATH', config.tlsCertPath),
      key: await read('TEMPORAL_TLS_KEY_PATH', config.tlsKeyPath),
    };
  }
  if (config.tlsCaPath) tls.serverRootCACertificate = await read('TEMPORAL_TLS_CA_PATH', config.tlsCaPath);
  const ownTls = Boolean(config.tlsCertPath || config.tlsCaPath);
  // A profile's `tls.disabled` (TEMPORAL_TLS=false) turns TLS off even with an API key.
  const useTls = ownTls || (config.profileTls === undefined ? Boolean(config.apiKey) : config.profileTls !== false);
  return {
    address,
    tls: useTls ? tls : false,
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
    ...(config.metadata ? { metadata: config.metadata } : {}),
  };
}

/** {@link temporalConnectionOptions} under the name the worker reads it by: `NativeConnection.connect(await nativeConnectionOptions(config))`. */
export const nativeConnectionOptions = temporalConnectionOptions;

/** Connects a client, or throws `temporal_unavailable` (503) naming the address and what to check. */
export async function connectTemporal(
  config: TemporalConnectionConfig,
  options: {
    plugins?: ConnectionPlugin[];
    connectTimeoutMs?: number;
    /** Workflow client interceptors (OpenTelemetry's, when tracing). */
    interceptors?: WorkflowClientInterceptor[];
  } = {},
): Promise<{ connection: Connection; client: Client; namespace: string }> {
  const connectionOptions = await temporalConnectionOptions(config);
  const namespace = config.namespace || 'default';
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...connectionOptions,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      ...(options.plugins ? { plugins: options.plugins } : {}),
    });
  } catch (err) {
    throw new TempohookError(
      'temporal_unavailable',
      `Cannot connect to Temporal at ${connectionOptions.address}: ${(err as Error).message}. Check TEMPORAL_ADDRESS ` +
        `(and TEMPORAL_API_KEY / TEMPORAL_TLS_* for TLS), or leave it unset with \`tempohook dev\` to run a local server.`,
      503,
    );
  }
  const interceptors = options.interceptors?.length ? { interceptors: { workflow: options.interceptors } } : {};
  return { connection, client: new Client({ connection, namespace, ...interceptors }), namespace };
}
