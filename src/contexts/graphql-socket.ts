import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';
import type { ContextTokens } from './context.adapter.js';
import type { ClosableSocket, GraphqlHttpRequest, GraphqlSocketCall } from './graphql-call.js';
import { asciiLowerCase } from './header-name.js';
import { closeCodeOf } from './socket-refusal.js';

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The members of a parameters object by lower-cased name (`accessToken`, `ACCESSTOKEN`... are one). */
function byLowerName(params: Readonly<Record<string, unknown>> | undefined): Map<string, unknown> {
  const members = new Map<string, unknown>();
  if (!params) return members;
  for (const key of Object.keys(params)) {
    const name = asciiLowerCase(key);
    if (!members.has(name)) members.set(name, params[key]);
  }
  return members;
}

/** `accessToken` wins over `Authorization: Bearer`, as the `ACCESSTOKEN` header does over HTTP. */
function paramTokens(params: Readonly<Record<string, unknown>> | undefined): { access?: string; id?: string } {
  const members = byLowerName(params);
  const bearer = text(members.get('authorization'));
  const match = bearer ? BEARER.exec(bearer) : null;
  return { access: text(members.get('accesstoken')) ?? match?.[1], id: text(members.get('idtoken')) };
}

/**
 * The tokens of an operation over a socket: the connection parameters (`accessToken`, `idToken`,
 * `Authorization: Bearer <access token>`, any case; or the same inside a `headers` member, as
 * some clients send them), then, for a token they lack, the upgrade request's headers and
 * cookies. Never a refresh token: new tokens cannot be handed back over a socket.
 */
export function socketTokens(
  call: Pick<GraphqlSocketCall, 'params' | 'request'>,
  readRequest: (request: GraphqlHttpRequest | undefined) => ContextTokens,
): ContextTokens {
  const top = paramTokens(call.params);
  const nested = paramTokens(asRecord(call.params?.headers));
  const fromParams = { access: top.access ?? nested.access, id: top.id ?? nested.id };
  const fromRequest = fromParams.access && fromParams.id ? undefined : readRequest(call.request);
  const access = fromParams.access ?? fromRequest?.access;
  const id = fromParams.id ?? fromRequest?.id;
  const fromCookies = fromRequest?.source === 'cookie' && !fromParams.access && !fromParams.id;
  return { access, id, source: fromCookies ? 'cookie' : 'header' };
}

function asRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Closes a socket with the refusal's close code and its `code` as the reason. Returns false when
 * the socket cannot be closed that way (an integration whose socket has neither `close` nor `end`).
 */
export function closeSocket(socket: ClosableSocket | undefined, error: CognitoAuthError): boolean {
  if (typeof socket?.close === 'function') {
    socket.close(closeCodeOf(error), error.code);
    return true;
  }
  if (typeof socket?.end === 'function') {
    socket.end(closeCodeOf(error), error.code);
    return true;
  }
  return false;
}
