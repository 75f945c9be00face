import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { ExtendedError, Namespace, Server, ServerOptions, Socket } from 'socket.io';
import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';
import { findWsContextAdapter, type WsContextAdapter } from './ws.context.js';

/** The `data` of a refused socket.io connection, as the client's `connect_error` gives it. */
export interface CognitoConnectErrorData {
  readonly code: string;
  readonly status: number;
}

/** What socket.io hands the client for a refused connection: `message` and `data`. */
function connectError(error: CognitoAuthError): ExtendedError {
  const data: CognitoConnectErrorData = { code: error.code, status: error.getStatus() };
  return Object.assign(new Error(error.message), { data });
}

/**
 * The socket.io adapter, refusing unauthenticated connections at connect: a middleware on every
 * gateway's server and namespace authenticates the handshake (`auth = { accessToken, idToken }`,
 * else headers or cookies) with the module's token mode. A refused client gets `connect_error`
 * with our `message` and `data: { code, status }`, and its gateway's `handleConnection` never
 * runs. An accepted socket keeps its outcome, so `CognitoGuard` checks each message against it
 * (and its expiry) without verifying again.
 *
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * app.useWebSocketAdapter(new CognitoIoAdapter(app));
 * ```
 */
export class CognitoIoAdapter extends IoAdapter {
  private readonly guarded = new WeakSet<object>();
  private contextAdapter: WsContextAdapter | undefined;

  /** @param app the Nest application: its `CognitoAuthModule` authenticates, its HTTP server is shared. */
  constructor(private readonly app: INestApplicationContext) {
    super(app);
  }

  /** Creates the server (or namespace) as `IoAdapter` does, with the authenticating middleware. */
  override create(port: number, options?: ServerOptions & { namespace?: string; server?: Server }): Server | Namespace {
    const server = super.create(port, options);
    if (!this.guarded.has(server)) {
      this.guarded.add(server);
      server.use((socket, next) => this.authenticate(socket, next));
    }
    return server;
  }

  private authenticate(socket: Socket, next: (err?: ExtendedError) => void): void {
    const adapter = this.wsContextAdapter();
    // `admit` settles every failure into a refusal: it never rejects.
    void adapter.admit(socket, adapter.tokensOfClient(socket)).then((error) => next(error ? connectError(error) : undefined));
  }

  private wsContextAdapter(): WsContextAdapter {
    this.contextAdapter ??= findWsContextAdapter(this.app);
    return this.contextAdapter;
  }
}
