/**
 * A real ssh2 Server on 127.0.0.1 standing in for a Pi's sshd in unit tests: it runs exec
 * commands through /bin/sh, and records logins and session channels so tests can assert what a
 * client did (or never did) to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { Server, utils, type AuthContext, type Connection, type ParsedKey } from 'ssh2';

export interface KeyPair {
  readonly privateKey: Buffer;
  readonly publicKey: ParsedKey;
}

/**
 * ssh2's generateKeyPairSync writes an ed25519 key whose first byte is zero with that byte
 * dropped (about one key in 200), and its own parser then rejects the key. Keys made by
 * ssh-keygen, as the daemon's is, are not affected; here we simply draw again, a bounded number
 * of times.
 */
export function makeKeyPair(): KeyPair {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519');
    const pub = utils.parseKey(pair.public);
    const priv = utils.parseKey(pair.private);
    if (pub instanceof Error || Array.isArray(pub) || priv instanceof Error) continue;
    return { privateKey: Buffer.from(pair.private), publicKey: pub };
  }
  throw new Error('ssh2 generated 20 unparseable ed25519 keys in a row');
}

export interface FakeServerOptions {
  /** PEM/OpenSSH private host key; a fresh one when absent. */
  readonly hostKey?: Buffer;
  /** Public keys accepted for publickey login. */
  readonly authorizedKeys?: readonly ParsedKey[];
  /** Password accepted for password login; none when absent. */
  readonly password?: string;
  /** Port to listen on; random when absent. */
  readonly port?: number;
  /** Environment of the commands it runs (a PATH with a stand-in sudo, say); the test's own when absent. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface AuthCall {
  readonly method: string;
  readonly username: string;
  readonly connection: number;
}

export interface FakeServer {
  readonly port: number;
  readonly hostKey: Buffer;
  /** Every authentication request the server received (the `none` probe included). */
  readonly authCalls: AuthCall[];
  /** TCP connections accepted. */
  connections: number;
  /** Session channels open now, and the most ever open at once on one connection. */
  openSessions: number;
  maxOpenSessions: number;
  /** Commands received. */
  readonly commands: string[];
  /** Signals the client sent to running commands. */
  readonly signals: string[];
  authorizedKeys: ParsedKey[];
  /** Ends every client connection from the server side. */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const hostKey = options.hostKey ?? makeKeyPair().privateKey;
  const clients = new Set<Connection>();
  const children = new Set<ChildProcess>();
  const state: Omit<FakeServer, 'port' | 'close' | 'dropAll'> = {
    hostKey,
    authCalls: [],
    connections: 0,
    openSessions: 0,
    maxOpenSessions: 0,
    commands: [],
    signals: [],
    authorizedKeys: [...(options.authorizedKeys ?? [])],
  };

  // ssh2's Server drops a signal request once exec has started (the session became a plain
  // channel), so signals are read off its protocol debug output; the channel close kills the child.
  const debug = (message: string): void => {
    const m = /CHANNEL_REQUEST \(r:\d+, signal: (\w+)\)/.exec(message);
    if (m?.[1]) state.signals.push(m[1]);
  };
  const server = new Server({ hostKeys: [hostKey], debug }, (client) => {
    state.connections += 1;
    const connection = state.connections;
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined);
    client.on('authentication', (ctx: AuthContext) => {
      state.authCalls.push({ method: ctx.method, username: ctx.username, connection });
      if (ctx.method === 'publickey') {
        const allowed = state.authorizedKeys.find((k) => k.type === ctx.key.algo && k.getPublicSSH().equals(ctx.key.data));
        if (!allowed) return ctx.reject(['publickey', 'password']);
        if (!ctx.signature || !ctx.blob) return ctx.accept();
        return allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true ? ctx.accept() : ctx.reject();
      }
      if (ctx.method === 'password' && options.password !== undefined && ctx.password === options.password) return ctx.accept();
      return ctx.reject(['publickey', 'password']);
    });
    client.on('ready', () => {
      let onThisConnection = 0;
      client.on('session', (accept) => {
        const session = accept();
        onThisConnection += 1;
        state.openSessions += 1;
        state.maxOpenSessions = Math.max(state.maxOpenSessions, onThisConnection);
        let child: ChildProcess | undefined;
        session.once('close', () => {
          onThisConnection -= 1;
          state.openSessions -= 1;
          child?.kill('SIGKILL');
        });
        session.on('exec', (acceptExec, _reject, info) => {
          state.commands.push(info.command);
          const stream = acceptExec();
          const proc = spawn('/bin/sh', ['-c', info.command], {
            stdio: ['pipe', 'pipe', 'pipe'],
            ...(options.env ? { env: options.env } : {}),
          });
          child = proc;
          children.add(proc);
          stream.pipe(proc.stdin);
          proc.stdin.on('error', () => undefined);
          proc.stdout.on('data', (d: Buffer) => stream.write(d));
          proc.stderr.on('data', (d: Buffer) => stream.stderr.write(d));
          proc.on('close', (code, signal) => {
            children.delete(proc);
            try {
              if (signal) stream.exit(signal.replace(/^SIG/, ''), false, '');
              else stream.exit(code ?? 255);
              stream.end();
            } catch {
              /* the client closed the channel first */
            }
          });
        });
      });
    });
  });

  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return Object.assign(state, {
    port,
    dropAll(): void {
      for (const c of clients) c.end();
    },
    async close(): Promise<void> {
      for (const proc of children) proc.kill('SIGKILL');
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** A port on 127.0.0.1 with nothing listening: bound once, then released. */
export async function closedPort(): Promise<number> {
  const tcp = createTcpServer();
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  const { port } = tcp.address() as AddressInfo;
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
  return port;
}

/** A TCP server that accepts and never speaks: an SSH handshake against it can only time out. */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const tcp = createTcpServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  const { port } = tcp.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        tcp.close(() => resolve());
      }),
  };
}

/** A pino logger writing into memory, so tests can read every line it wrote. */
export function memoryLogger(): { log: Logger; text(): string; lines(): Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: 'trace' }, stream);
  return {
    log,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
