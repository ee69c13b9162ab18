/**
 * Serves one PGlite database over the PostgreSQL wire protocol to any number of TCP
 * connections, so `pg` code runs unchanged against it.
 *
 * PGlite is a single backend session. A connection therefore takes the session for a whole
 * *turn* — from its first message until the backend answers ReadyForQuery with status idle —
 * and other connections wait. A turn spans an extended-protocol batch (Parse … Sync) and a
 * whole transaction (BEGIN … COMMIT), so batches never interleave and a transaction sees no
 * other connection's statements. A connection that closes mid-turn is synced and rolled back.
 *
 * Why not `PGLiteSocketServer` from @electric-sql/pglite-socket 0.2.17: with more than one
 * connection it interleaves extended-protocol messages of different clients (wrong results and
 * "bind message supplies 2 parameters, but prepared statement "" requires 1" under `pg`, see
 * electric-sql/pglite#1046), and with one connection it refuses a reconnect that arrives
 * before it has noticed the previous close (half of immediate reconnects failed here).
 *
 * `search_path` is kept per connection (saved and restored when the session changes hands), so
 * pools on different schemas work as on PostgreSQL. Other session state (other SETs, named
 * prepared statements, temp tables) is shared by all connections. A connection idle inside a
 * transaction blocks every other one: keep transactions short.
 */
import net from 'node:net';

/** The part of PGlite this server needs. */
export interface PgliteSession {
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
  execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }): Promise<void>;
  isInTransaction(): boolean;
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface ServePgliteOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Open connections at most (default 100); more are refused by the OS-level server. */
  maxConnections?: number;
  /** Called when a connection fails for a reason other than the client going away. */
  onConnectionError?: (err: Error) => void;
}

export interface PgliteWireServer {
  readonly host: string;
  readonly port: number;
  /** Connections open now. */
  connectionCount(): number;
  /** Stops listening, closes every connection, rolls back an open transaction. */
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_STARTUP_LENGTH = 10_000;
const TERMINATE = 0x58; // 'X'
const READY_FOR_QUERY = 0x5a; // 'Z'
const IDLE = 0x49; // 'I'
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);

interface Connection {
  socket: net.Socket;
  buffer: Buffer;
  started: boolean;
  closed: boolean;
  /** False between a message that opened a turn and the ReadyForQuery(idle) that ends it. */
  idle: boolean;
  /** This connection's messages, strictly in order. */
  work: Promise<void>;
  /** Its `search_path` while another connection has the session; null until it had it once. */
  searchPath: string | null;
}

/** Starts serving `db`; resolves once listening. */
export async function servePglite(db: PgliteSession, options: ServePgliteOptions = {}): Promise<PgliteWireServer> {
  const host = options.host ?? '127.0.0.1';
  const turn = new SessionTurn();
  const connections = new Set<Connection>();
  const reportError = options.onConnectionError ?? (() => undefined);
  const readSearchPath = async () =>
    (await db.query<{ path: string }>("SELECT current_setting('search_path') AS path")).rows[0]!.path;
  const defaultSearchPath = await readSearchPath();
  /** The connection whose settings the session holds now. */
  let sessionOwner: Connection | null = null;

  const server = net.createServer((socket) => attach(socket));
  server.maxConnections = options.maxConnections ?? 100;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => reportError(err));
  const port = (server.address() as net.AddressInfo).port;

  function attach(socket: net.Socket): void {
    const conn: Connection = {
      socket,
      buffer: Buffer.alloc(0),
      started: false,
      closed: false,
      idle: true,
      work: Promise.resolve(),
      searchPath: null,
    };
    connections.add(conn);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
      for (const message of takeMessages(conn)) {
        conn.work = conn.work
          .then(() => run(conn, message))
          .catch((err: Error) => {
            reportError(err);
            socket.destroy();
          });
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reportError(err);
    });
    socket.on('close', () => {
      conn.closed = true;
      conn.work = conn.work
        .then(() => endSession(conn))
        .catch((err: Error) => reportError(err))
        .finally(() => connections.delete(conn));
    });
  }

  /** Splits the connection's buffer into whole protocol messages; answers SSL/GSS requests itself. */
  function takeMessages(conn: Connection): Uint8Array[] {
    const messages: Uint8Array[] = [];
    for (;;) {
      const buf = conn.buffer;
      if (!conn.started) {
        if (buf.length < 8) break;
        const length = buf.readInt32BE(0);
        const code = buf.readInt32BE(4);
        if (length === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
          conn.socket.write('N'); // not supported: the client continues in plain text
          conn.buffer = buf.subarray(8);
          continue;
        }
        if (length === 16 && code === CANCEL_REQUEST) {
          conn.socket.end(); // nothing to cancel in a single embedded session
          conn.buffer = Buffer.alloc(0);
          break;
        }
        if (length < 8 || length > MAX_STARTUP_LENGTH) return protocolViolation(conn);
        if (buf.length < length) break;
        messages.push(buf.subarray(0, length));
        conn.buffer = buf.subarray(length);
        conn.started = true;
      } else {
        if (buf.length < 5) break;
        const length = buf.readInt32BE(1);
        if (length < 4) return protocolViolation(conn);
        if (buf.length < length + 1) break;
        messages.push(buf.subarray(0, length + 1));
        conn.buffer = buf.subarray(length + 1);
      }
    }
    return messages;
  }

  function protocolViolation(conn: Connection): Uint8Array[] {
    conn.buffer = Buffer.alloc(0);
    conn.socket.destroy();
    return [];
  }

  async function run(conn: Connection, message: Uint8Array): Promise<void> {
    if (conn.closed) return;
    if (conn.started && message[0] === TERMINATE && message.length === 5) {
      conn.socket.end(); // the close handler ends the session
      return;
    }
    await turn.take(conn);
    if (conn.closed) return; // endSession runs next and hands the turn on
    if (sessionOwner !== conn) await switchSession(conn);
    conn.idle = false;
    let tail = Buffer.alloc(0);
    await db.runExclusive(() =>
      db.execProtocolRawStream(message, {
        onRawData: (data) => {
          const copy = Buffer.from(data); // PGlite reuses the memory behind `data`
          if (!conn.closed && conn.socket.writable) conn.socket.write(copy);
          tail = Buffer.concat([tail, copy]).subarray(-6);
        },
      }),
    );
    // A response that ends in ReadyForQuery(idle) ends the turn: no batch or transaction is open.
    if (tail.length === 6 && tail[0] === READY_FOR_QUERY && tail.readInt32BE(1) === 5 && tail[5] === IDLE) {
      conn.idle = true;
      turn.give(conn);
    }
  }

  /** Between turns (no transaction open): saves the previous owner's search_path, restores this one's. */
  async function switchSession(conn: Connection): Promise<void> {
    if (sessionOwner && !sessionOwner.closed) sessionOwner.searchPath = await readSearchPath();
    await db.query("SELECT set_config('search_path', $1, false)", [conn.searchPath ?? defaultSearchPath]);
    sessionOwner = conn;
  }

  async function endSession(conn: Connection): Promise<void> {
    if (sessionOwner === conn) sessionOwner = null;
    if (!turn.isHeldBy(conn)) return;
    try {
      await db.runExclusive(async () => {
        const discard = { onRawData: () => undefined };
        if (!conn.idle) await db.execProtocolRawStream(SYNC, discard);
        if (db.isInTransaction()) await db.execProtocolRawStream(simpleQuery('ROLLBACK'), discard);
      });
    } finally {
      turn.give(conn);
    }
  }

  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    connectionCount: () => connections.size,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const conn of connections) conn.socket.destroy();
        await Promise.all([...connections].map((conn) => conn.work.catch(() => undefined)));
        await stopped;
      })();
      return closing;
    },
  };
}

/** A simple-protocol Query message. */
function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(sql + '\0', 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message[0] = 0x51; // 'Q'
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

/** Who may talk to the single backend session now; the others wait in arrival order. */
class SessionTurn {
  private holder: Connection | null = null;
  private readonly waiting: Array<{ conn: Connection; grant: () => void }> = [];

  take(conn: Connection): Promise<void> {
    if (this.holder === null || this.holder === conn) {
      this.holder = conn;
      return Promise.resolve();
    }
    return new Promise((grant) => this.waiting.push({ conn, grant }));
  }

  give(conn: Connection): void {
    if (this.holder !== conn) return;
    const next = this.waiting.shift();
    this.holder = next ? next.conn : null;
    next?.grant();
  }

  isHeldBy(conn: Connection): boolean {
    return this.holder === conn;
  }
}
