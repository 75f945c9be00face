import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { type DynamicModule, type INestApplication, type Type, type WebSocketAdapter } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { type OnGatewayConnection, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import {
  CognitoAuthModule,
  CognitoClaims,
  CurrentUser,
  Groups,
  Public,
  type CognitoAuthForRootOptions,
  type VerifiedTokens,
} from '../../src/index.js';
import { CognitoIoAdapter } from '../../src/contexts/cognito-io.adapter.js';
import { CognitoWsAdapter } from '../../src/contexts/cognito-ws.adapter.js';
import { CaptureLogger } from './capture-logger.js';

/** The two WebSocket platforms of Nest. */
export type WsPlatform = 'socket.io' | 'ws';

type Caller = { sub?: string; username?: string } | undefined;

/** The gateway every WebSocket spec drives: one message per decorator; every answer is `{ event, data }`. */
@WebSocketGateway()
export class ProbeGateway implements OnGatewayConnection {
  /** How many connections reached `handleConnection` (the optional adapters refuse before it). */
  connections = 0;

  handleConnection(): void {
    this.connections += 1;
  }

  @SubscribeMessage('me')
  me(@CurrentUser() user: Caller): { event: string; data: unknown } {
    return { event: 'me', data: { sub: user?.sub ?? null, username: user?.username ?? null } };
  }

  @SubscribeMessage('claims')
  claims(@CognitoClaims() claims: VerifiedTokens): { event: string; data: unknown } {
    return { event: 'claims', data: { access: claims.access?.sub ?? null, id: claims.id?.sub ?? null } };
  }

  @Public()
  @SubscribeMessage('open')
  open(@CurrentUser() user: Caller): { event: string; data: unknown } {
    return { event: 'open', data: { user: user?.sub ?? null } };
  }

  @Groups('admin')
  @SubscribeMessage('admin')
  admin(): { event: string; data: unknown } {
    return { event: 'admin', data: { ok: true } };
  }
}

/** The probe gateway on a port of its own (a `ws` server of its own, not the app's HTTP server). */
export function ownPortGateway(port: number): Type<ProbeGateway> {
  @WebSocketGateway(port)
  class OwnPortGateway extends ProbeGateway {}
  return OwnPortGateway;
}

export { clockModule } from './clock.js';

/** What `createWsApp` returns. */
export interface WsTestApp {
  readonly app: INestApplication;
  readonly logger: CaptureLogger;
  readonly gateway: ProbeGateway;
  /** `http://127.0.0.1:<port>` (socket.io) or `ws://127.0.0.1:<port>/` (ws), of the app's HTTP server. */
  readonly url: string;
  close(): Promise<void>;
}

/** Which WebSocket adapter the app installs: Nest's own, or the library's that refuses at connect. */
export type AdapterKind = 'nest' | 'cognito';

function adapterFor(platform: WsPlatform, kind: AdapterKind, app: INestApplication): WebSocketAdapter {
  if (platform === 'socket.io') return kind === 'cognito' ? new CognitoIoAdapter(app) : new IoAdapter(app);
  return kind === 'cognito' ? new CognitoWsAdapter(app) : new WsAdapter(app);
}

/** Boots a Nest app with CognitoAuthModule and the probe gateway on a real loopback port. */
export async function createWsApp(
  platform: WsPlatform,
  auth: CognitoAuthForRootOptions,
  extra: { adapter?: AdapterKind; imports?: DynamicModule[]; gateway?: Type<ProbeGateway> } = {},
): Promise<WsTestApp> {
  const logger = new CaptureLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [...(extra.imports ?? []), CognitoAuthModule.forRoot(auth)],
    providers: [extra.gateway ?? ProbeGateway],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  app.useWebSocketAdapter(adapterFor(platform, extra.adapter ?? 'nest', app));
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): AddressInfo }).address();
  const url = platform === 'socket.io' ? `http://127.0.0.1:${port}` : `ws://127.0.0.1:${port}/`;
  return { app, logger, gateway: app.get(extra.gateway ?? ProbeGateway), url, close: () => app.close() };
}

/** A loopback port nothing listens on (bound, read, closed): a dead JWKS endpoint. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Rejects with `what` if `promise` has not settled in time: a safety net against hangs, not a timing assertion. */
export function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A message the client received: a reply or an `exception`. */
export interface Incoming {
  readonly event: string;
  readonly data: unknown;
}

/** How the connection ended: ws's close code and reason, or socket.io's disconnect reason. */
export interface Closed {
  readonly code?: number;
  readonly reason: string;
}

/** How the server answered the connection attempt. */
export type Connected =
  | { readonly ok: true; readonly client: WsTestClient }
  | { readonly ok: false; readonly error: { message: string; data?: unknown }; readonly client: WsTestClient };

/** What a client presents when it connects. */
export interface Credentials {
  /** socket.io `auth` payload. */
  readonly auth?: Record<string, unknown>;
  /** Headers of the handshake or upgrade request. */
  readonly headers?: Record<string, string>;
}

/** One real client, socket.io or ws, seen the same way by the specs. */
export class WsTestClient {
  /** Everything received, serialised, for leak checks. */
  readonly received: string[] = [];
  private readonly inbox: Incoming[] = [];
  private waiter: ((message: Incoming) => void) | undefined;
  private closedInfo: Closed | undefined;
  private closeWaiter: ((closed: Closed) => void) | undefined;

  constructor(
    private readonly sendRaw: (event: string, data: unknown) => void,
    readonly end: () => void,
  ) {}

  /** Called by the transport for each message. */
  deliver(message: Incoming): void {
    this.received.push(JSON.stringify(message));
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(message);
    } else this.inbox.push(message);
  }

  /** Called by the transport when the connection ends. */
  ended(closed: Closed): void {
    this.received.push(JSON.stringify(closed));
    this.closedInfo ??= closed;
    this.closeWaiter?.(this.closedInfo);
  }

  /** Sends `event` and waits for the next message (the reply or an `exception`). */
  request(event: string, data: unknown = {}): Promise<Incoming> {
    this.sendRaw(event, data);
    return this.next(event);
  }

  /** The next message received. */
  next(what = 'a message'): Promise<Incoming> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    return within(new Promise<Incoming>((resolve) => (this.waiter = resolve)), what);
  }

  /** How the connection ended, once it has. */
  closed(): Promise<Closed> {
    if (this.closedInfo) return Promise.resolve(this.closedInfo);
    return within(new Promise<Closed>((resolve) => (this.closeWaiter = resolve)), 'the connection to close');
  }
}

/** Connects a real socket.io client; resolves on `connect` or `connect_error`. */
function connectSocketIo(url: string, credentials: Credentials): Promise<Connected> {
  const socket = io(url, {
    auth: credentials.auth ?? {},
    extraHeaders: credentials.headers,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  const client = new WsTestClient(
    (event, data) => socket.emit(event, data),
    () => socket.close(),
  );
  socket.onAny((event: string, data: unknown) => client.deliver({ event, data }));
  socket.on('disconnect', (reason) => client.ended({ reason }));
  return within(
    new Promise<Connected>((resolve) => {
      socket.once('connect', () => resolve({ ok: true, client }));
      socket.once('connect_error', (err: Error & { data?: unknown }) => {
        client.ended({ reason: 'connect_error' });
        resolve({ ok: false, error: { message: err.message, data: err.data }, client });
      });
    }),
    'the socket.io connection',
  );
}

/** Connects a real `ws` client; resolves on `open` (a refusal then closes it) or on an upgrade failure. */
function connectWs(url: string, credentials: Credentials): Promise<Connected> {
  const ws = new WebSocket(url, { headers: credentials.headers });
  const client = new WsTestClient(
    (event, data) => ws.send(JSON.stringify({ event, data })),
    () => ws.close(),
  );
  ws.on('message', (raw) => client.deliver(JSON.parse(String(raw)) as Incoming));
  ws.on('close', (code, reason) => client.ended({ code, reason: String(reason) }));
  return within(
    new Promise<Connected>((resolve) => {
      ws.once('open', () => resolve({ ok: true, client }));
      ws.once('error', (err) => resolve({ ok: false, error: { message: err.message }, client }));
    }),
    'the ws connection',
  );
}

/** Connects a real client of `platform` to `url`. */
export function connect(platform: WsPlatform, url: string, credentials: Credentials = {}): Promise<Connected> {
  return platform === 'socket.io' ? connectSocketIo(url, credentials) : connectWs(url, credentials);
}

/** The credentials of an ID + access pair: socket.io's `auth` payload, ws's headers. */
export function pairCredentials(platform: WsPlatform, tokens: { accessToken: string; idToken: string }): Credentials {
  return platform === 'socket.io'
    ? { auth: { accessToken: tokens.accessToken, idToken: tokens.idToken } }
    : { headers: { authorization: `Bearer ${tokens.accessToken}`, idtoken: tokens.idToken } };
}

/** Connects and expects the connection to be accepted. */
export async function connected(platform: WsPlatform, url: string, credentials: Credentials = {}): Promise<WsTestClient> {
  const result = await connect(platform, url, credentials);
  if (!result.ok) throw new Error(`connection refused: ${result.error.message}`);
  return result.client;
}
