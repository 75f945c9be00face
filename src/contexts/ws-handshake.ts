import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { extractTokens, type RequestHeadersLike } from '../session/http-tokens.extractor.js';
import type { ContextTokens } from './context.adapter.js';
import { closeCodeOf } from './socket-refusal.js';

/** The part of a socket.io `Socket` the library uses. */
export interface SocketIoClient {
  readonly handshake: RequestHeadersLike & { readonly auth?: unknown };
  disconnect(close?: boolean): unknown;
}

/** The part of a `ws` `WebSocket` the library uses. */
export interface NativeWsClient {
  readonly readyState: number;
  close(code?: number, reason?: string): void;
}

/** `WebSocket.OPEN` of the WebSocket standard (and of `ws`). */
const OPEN = 1;

/** True for a socket.io socket: it has its handshake. */
export function isSocketIoClient(client: unknown): client is SocketIoClient {
  const c = client as Partial<SocketIoClient> | null | undefined;
  return typeof c?.handshake === 'object' && c.handshake !== null && typeof c.disconnect === 'function';
}

/** True for a `ws` socket (what Nest's own filter tests too: a numeric `readyState`). */
export function isNativeWsClient(client: unknown): client is NativeWsClient {
  const c = client as Partial<NativeWsClient> | null | undefined;
  return typeof c?.readyState === 'number' && typeof c.close === 'function';
}

/** The trimmed string `auth[name]`, or undefined when absent, blank or not a string. */
function authField(auth: unknown, name: string): string | undefined {
  if (auth === null || typeof auth !== 'object' || !Object.hasOwn(auth, name)) return undefined;
  const value: unknown = (auth as Record<string, unknown>)[name];
  const trimmed = typeof value === 'string' ? value.trim() : '';
  return trimmed === '' ? undefined : trimmed;
}

/**
 * The tokens of an HTTP request's headers (`authorization` Bearer, `accesstoken`, `idtoken`) or,
 * with cookies on, its cookies. The refresh token is left out: nothing can be refreshed over a
 * socket, so it is not kept for the life of the connection.
 */
export function tokensOfRequest(req: RequestHeadersLike | undefined, settings: CognitoAuthSettings): ContextTokens {
  if (!req?.headers) return { source: 'header' };
  const t = extractTokens(req, settings);
  return { access: t.access, id: t.id, source: t.fromCookies ? 'cookie' : 'header' };
}

/**
 * The tokens of a socket.io handshake: its `auth` payload (`{ accessToken, idToken }`) when that
 * carries a token, else the handshake's headers and cookies. The two sources are not mixed.
 */
export function tokensOfHandshake(handshake: SocketIoClient['handshake'], settings: CognitoAuthSettings): ContextTokens {
  const access = authField(handshake.auth, 'accessToken');
  const id = authField(handshake.auth, 'idToken');
  if (access !== undefined || id !== undefined) return { access, id, source: 'header' };
  return tokensOfRequest(handshake, settings);
}

/**
 * Ends the connection of a refused caller: socket.io disconnects the socket (its client sees
 * `io server disconnect` and does not reconnect by itself); `ws` closes with the close code and
 * our code as the reason.
 */
export function closeClient(client: unknown, error: CognitoAuthError): void {
  if (isSocketIoClient(client)) client.disconnect();
  else if (isNativeWsClient(client) && client.readyState === OPEN) client.close(closeCodeOf(error), error.code);
}
