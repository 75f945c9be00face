import type { IncomingMessage } from 'node:http';
import {
  type ExecutionContext,
  type INestApplicationContext,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CognitoAuthenticator } from '../auth/cognito.authenticator.js';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import type { RequestHeadersLike } from '../session/http-tokens.extractor.js';
import type { CognitoContextAdapter, ContextTokens } from './context.adapter.js';
import { type AuthOutcome, carrierOf, COGNITO_REQUEST_STATE, type StateCarrier } from './request-state.js';
import { endsConnection } from './socket-refusal.js';
import { wsException, loadWsException } from './ws-exception.js';
import { closeClient, isNativeWsClient, isSocketIoClient, tokensOfHandshake, tokensOfRequest } from './ws-handshake.js';

/** The HTTP server's `upgrade` event, as far as the adapter listens to it. */
interface UpgradeSource {
  on(event: 'upgrade', listener: (req: IncomingMessage, socket: object) => void): unknown;
  off(event: 'upgrade', listener: (req: IncomingMessage, socket: object) => void): unknown;
  listenerCount(event: 'upgrade'): number;
}

const NO_TOKENS: ContextTokens = Object.freeze({ source: 'header' });

/**
 * WebSocket gateways, socket.io and `ws` alike. Nest runs no guard when a socket connects, so the
 * guard runs per message and this adapter reads the connection's handshake: socket.io's
 * `handshake.auth` (`{ accessToken, idToken }`), else its headers or cookies; `ws` the upgrade
 * request's headers or cookies (never its URL: URLs end up in logs). The outcome is kept on the
 * socket and checked again once it expires; nothing is refreshed over a socket.
 *
 * A refused message gets Nest's `exception` answer `{ status: 'error', code, message }`. A refusal
 * about the connection's identity then ends the connection (socket.io disconnects, `ws` closes with
 * 4401, 4403 or 4503 and our code as the reason), since that identity will not get better on it:
 * a missing, invalid, expired or revoked token, an identity the app refuses (403
 * `forbidden_claims`, `user_not_registered`...), verification unavailable. A refusal by the
 * message's own rules (403 `forbidden_group`, `forbidden_scope`, `forbidden_caller`) refuses that
 * message only; the connection stays. GraphQL subscriptions over a socket follow the same rule.
 */
@Injectable()
export class WsContextAdapter implements CognitoContextAdapter, OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  readonly canRefresh = false;
  readonly perConnection = true;
  /** What `ws` upgrade requests carried, by network socket (no adapter) or by `ws` client (`CognitoWsAdapter`). */
  private readonly upgrades = new WeakMap<object, ContextTokens>();
  private upgradeSource: UpgradeSource | undefined;
  private readonly onUpgrade = (req: IncomingMessage, socket: object): void => {
    const tokens = tokensOfRequest(req, this.settings);
    if (tokens.access !== undefined || tokens.id !== undefined) this.upgrades.set(socket, tokens);
  };

  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    private readonly authenticator: CognitoAuthenticator,
    @Optional() private readonly host?: HttpAdapterHost,
  ) {}

  /** Loads `WsException` (an optional peer) before any gateway accepts a client. */
  async onModuleInit(): Promise<void> {
    await loadWsException();
  }

  /**
   * Listens to the HTTP server's upgrade requests, so a `ws` gateway sharing it can find its
   * connection's tokens (the `ws` socket does not keep its request). Only when something already
   * handles upgrades: with no listener Node answers them as plain requests, which must not change.
   */
  onApplicationBootstrap(): void {
    const server = this.host?.httpAdapter?.getHttpServer() as Partial<UpgradeSource> | undefined;
    if (typeof server?.on !== 'function' || typeof server.listenerCount !== 'function') return;
    if (server.listenerCount('upgrade') === 0) return;
    server.on('upgrade', this.onUpgrade);
    this.upgradeSource = server as UpgradeSource;
  }

  /** Stops listening to upgrade requests. */
  onModuleDestroy(): void {
    this.upgradeSource?.off('upgrade', this.onUpgrade);
    this.upgradeSource = undefined;
  }

  /** The socket (socket.io `Socket` or `ws` `WebSocket`). */
  carrier(context: ExecutionContext): object | undefined {
    return carrierOf(context);
  }

  /** The tokens of the message's connection. */
  readTokens(context: ExecutionContext): ContextTokens {
    return this.tokensOfClient(context.switchToWs().getClient<unknown>());
  }

  /** The tokens of a socket.io socket's handshake, or of a `ws` socket's upgrade request. */
  tokensOfClient(client: unknown): ContextTokens {
    if (isSocketIoClient(client)) return tokensOfHandshake(client.handshake, this.settings);
    if (client === null || typeof client !== 'object') return NO_TOKENS;
    // `_socket` is the network socket `ws` took over from the upgrade request (not typed by ws).
    const socket = (client as { _socket?: unknown })._socket;
    const fromSocket = socket !== null && typeof socket === 'object' ? this.upgrades.get(socket) : undefined;
    return this.upgrades.get(client) ?? fromSocket ?? NO_TOKENS;
  }

  /** Keeps the tokens of a `ws` client's upgrade request (not the request itself). */
  rememberUpgrade(client: object, req: RequestHeadersLike): ContextTokens {
    const tokens = tokensOfRequest(req, this.settings);
    this.upgrades.set(client, tokens);
    return tokens;
  }

  /**
   * Authenticates a connection as it opens (the optional adapters) with the module's token mode
   * and keeps the outcome on the socket, where the guard finds it for each message. With `'ws'`
   * in `passThroughContexts` nothing is refused: a connection that fails is let in with no outcome
   * (its messages are public, as everywhere else).
   * @returns the refusal, or undefined when the caller is authenticated or let through
   */
  async admit(client: object, tokens: ContextTokens): Promise<CognitoAuthError | undefined> {
    const refusal = await this.authenticateClient(client, tokens);
    return refusal && this.settings.passThroughContexts.includes('ws') ? undefined : refusal;
  }

  private async authenticateClient(client: object, tokens: ContextTokens): Promise<CognitoAuthError | undefined> {
    try {
      const tokenUse = this.settings.tokenUse;
      this.authenticator.requireTokens(tokens, tokenUse);
      const result = await this.authenticator.authenticate(tokens, { tokenUse, allowRefresh: false });
      const outcome: AuthOutcome & { tokens: ContextTokens } = { result, tokens };
      const carrier = client as StateCarrier;
      carrier[COGNITO_REQUEST_STATE] = outcome;
      carrier.user = result.user;
      return undefined;
    } catch (err) {
      return this.authenticator.asAuthError(err);
    }
  }

  /**
   * A `WsException` with `{ status: 'error', code, message }`. When the refusal is about the
   * connection's identity (`endsConnection`: anything but `forbidden_group`, `forbidden_scope` and
   * `forbidden_caller`), the connection is ended right after Nest's exception filter has sent that
   * answer (it runs in the same turn of the event loop, so `setImmediate` comes after it).
   */
  refuse(context: ExecutionContext, error: CognitoAuthError): Error {
    const client = context.switchToWs().getClient<unknown>();
    if (endsConnection(error) && (isSocketIoClient(client) || isNativeWsClient(client))) {
      setImmediate(() => closeClient(client, error));
    }
    return wsException({ status: 'error', code: error.code, message: error.message });
  }
}

/** The app's `WsContextAdapter`, for the optional adapters; a clear error when `CognitoAuthModule` is missing. */
export function findWsContextAdapter(app: INestApplicationContext): WsContextAdapter {
  const adapter = app.get(WsContextAdapter, { strict: false }) as WsContextAdapter | undefined;
  if (!adapter) throw new Error('nest-cognito-auth: the WebSocket adapter needs CognitoAuthModule in the application');
  return adapter;
}
