import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { closeClient, isNativeWsClient, isSocketIoClient, tokensOfHandshake, tokensOfRequest } from '../../../src/contexts/ws-handshake.js';
import type { SocketIoClient } from '../../../src/contexts/ws-handshake.js';
import {
  AuthUnavailableError,
  COGNITO_AUTH_ERROR_CODES,
  ForbiddenClaimsError,
  TokenExpiredError,
  TokenMissingError,
  type CognitoAuthError,
} from '../../../src/errors/cognito-auth.errors.js';
import { resolveCognitoSettings } from '../../../src/options/settings.resolver.js';

/**
 * The handshake of a WebSocket gateway: socket.io's
 * `handshake.auth = { accessToken, idToken }`, else its headers (`authorization` Bearer,
 * `accesstoken`, `idtoken`) or, with cookies on, its cookies; plain `ws` the upgrade request's
 * headers or cookies. Never a query parameter (URLs end up in logs), never a refresh token (nothing
 * is refreshed over a socket). A refused identity ends the connection: socket.io disconnects, `ws`
 * closes with 4000 + status and our code as the reason.
 */

const base = { userPoolId: 'eu-west-1_Handshake', clientId: 'client-ws' };
const noCookies = resolveCognitoSettings(base, () => undefined);
const withCookies = resolveCognitoSettings({ ...base, cookies: { enabled: true } }, () => undefined);

/**
 * socket.io's `Socket#handshake` (socket.io 4), by hand: the members it has, with the values a
 * client controls set by each test.
 */
const handshakeOf = (parts: { headers?: Record<string, string | string[] | undefined>; auth?: unknown; query?: object; url?: string }) => ({
  headers: parts.headers ?? {},
  time: new Date(0).toString(),
  address: '127.0.0.1',
  xdomain: false,
  secure: false,
  issued: 0,
  url: parts.url ?? '/socket.io/?EIO=4&transport=websocket',
  query: parts.query ?? { EIO: '4', transport: 'websocket' },
  auth: 'auth' in parts ? parts.auth : {},
});

const noop = (): void => undefined;

/** A socket.io `Socket` by hand: its handshake, and a `disconnect` that records its calls. */
class IoSocket implements SocketIoClient {
  readonly disconnects: unknown[][] = [];
  constructor(readonly handshake: SocketIoClient['handshake'] = handshakeOf({})) {}
  disconnect(...args: unknown[]): this {
    this.disconnects.push(args);
    return this;
  }
}

/** A `ws` `WebSocket` by hand: its `readyState` (0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED), and a `close` that records its calls. */
class WsSocket {
  readonly closes: [number | undefined, string | undefined][] = [];
  constructor(public readyState: number) {}
  close(code?: number, reason?: string): void {
    this.closes.push([code, reason]);
  }
}

describe('isSocketIoClient / isNativeWsClient', () => {
  it('tell a socket.io socket and a ws socket by shape', () => {
    expect(isSocketIoClient(new IoSocket())).toBe(true);
    expect(isNativeWsClient(new IoSocket())).toBe(false);
    expect(isNativeWsClient(new WsSocket(1))).toBe(true);
    expect(isSocketIoClient(new WsSocket(1))).toBe(false);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 1],
    ['a string', 'socket'],
    ['an empty object', {}],
    ['a null handshake', { handshake: null, disconnect: noop }],
    ['a string handshake', { handshake: 'hs', disconnect: noop }],
    ['no disconnect function', { handshake: {}, disconnect: true }],
  ])('socket.io: %s is not one', (_label, client) => {
    expect(isSocketIoClient(client)).toBe(false);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 1],
    ['a string readyState', { readyState: '1', close: noop }],
    ['no readyState', { close: noop }],
    ['no close function', { readyState: 1, close: 'close' }],
  ])('ws: %s is not one', (_label, client) => {
    expect(isNativeWsClient(client)).toBe(false);
  });
});

describe('tokensOfHandshake: socket.io`s auth payload first', () => {
  it('`auth = { accessToken, idToken }`, trimmed, from the header source', () => {
    expect(tokensOfHandshake(handshakeOf({ auth: { accessToken: ' acc.a ', idToken: 'id.a\t' } }), noCookies)).toEqual({
      access: 'acc.a',
      id: 'id.a',
      source: 'header',
    });
  });

  it('one token in `auth` is enough: the headers and cookies are then not read (the sources are not mixed)', () => {
    const hs = handshakeOf({
      auth: { idToken: 'id.a' },
      headers: { accesstoken: 'acc.h', idtoken: 'id.h', cookie: 'AccessToken=acc.c; IdToken=id.c' },
    });
    expect(tokensOfHandshake(hs, withCookies)).toEqual({ access: undefined, id: 'id.a', source: 'header' });
  });

  it('an `auth` with no token: the headers', () => {
    const headers = { authorization: 'Bearer acc.h', idtoken: 'id.h' };
    expect(tokensOfHandshake(handshakeOf({ auth: {}, headers }), noCookies)).toEqual({ access: 'acc.h', id: 'id.h', source: 'header' });
    expect(tokensOfHandshake(handshakeOf({ auth: { accessToken: '  ', idToken: '' }, headers }), noCookies)).toEqual({
      access: 'acc.h',
      id: 'id.h',
      source: 'header',
    });
  });

  it('the member names are exact: other casings and header names in `auth` are not tokens', () => {
    const auth = {
      accesstoken: 'a',
      AccessToken: 'b',
      ACCESSTOKEN: 'c',
      idtoken: 'd',
      IdToken: 'e',
      authorization: 'Bearer f',
      Authorization: 'Bearer g',
    };
    expect(tokensOfHandshake(handshakeOf({ auth }), noCookies)).toEqual({ access: undefined, id: undefined, source: 'header' });
  });

  it('a Bearer prefix in `auth` is not stripped: the value is the token as sent', () => {
    expect(tokensOfHandshake(handshakeOf({ auth: { accessToken: 'Bearer acc.a' } }), noCookies).access).toBe('Bearer acc.a');
  });

  it.each([
    ['null', null],
    ['a string', 'acc.a'],
    ['a number', 42],
    ['an array', ['acc.a', 'id.a']],
    ['a Buffer', Buffer.from('{"accessToken":"acc.a"}')],
  ])('an `auth` that is %s: the headers', (_label, auth) => {
    expect(tokensOfHandshake(handshakeOf({ auth, headers: { accesstoken: 'acc.h' } }), noCookies)).toEqual({
      access: 'acc.h',
      id: undefined,
      source: 'header',
    });
  });

  it.each([
    ['null', null],
    ['a number', 12345],
    ['a boolean', true],
    ['an array of strings', ['acc.a']],
    ['a Buffer', Buffer.from('acc.a')],
    ['an object', { token: 'acc.a' }],
    ['an object with toString', { toString: () => 'acc.a' }],
  ])('an `auth` token that is %s is absent', (_label, value) => {
    expect(tokensOfHandshake(handshakeOf({ auth: { accessToken: value, idToken: 'id.a' } }), noCookies)).toEqual({
      access: undefined,
      id: 'id.a',
      source: 'header',
    });
  });

  it('only own members of `auth` count', () => {
    const inherited = Object.create({ accessToken: 'acc.proto', idToken: 'id.proto' }) as object;
    expect(tokensOfHandshake(handshakeOf({ auth: inherited }), noCookies)).toEqual({ access: undefined, id: undefined, source: 'header' });
  });

  it('a huge value is passed on whole (its length is the verifier`s rule)', () => {
    const huge = 'h'.repeat(1_000_000);
    expect(tokensOfHandshake(handshakeOf({ auth: { accessToken: huge } }), noCookies).access).toBe(huge);
  });
});

describe('tokensOfHandshake: the handshake`s headers and cookies', () => {
  it('Bearer, `accesstoken` (winning over Bearer) and `idtoken`', () => {
    expect(tokensOfHandshake(handshakeOf({ headers: { authorization: 'bearer acc.b', idtoken: 'id.h' } }), noCookies)).toEqual({
      access: 'acc.b',
      id: 'id.h',
      source: 'header',
    });
    expect(tokensOfHandshake(handshakeOf({ headers: { authorization: 'Bearer acc.b', accesstoken: 'acc.h' } }), noCookies).access).toBe(
      'acc.h',
    );
  });

  it('cookies, when cookies are on: the cookie source', () => {
    const hs = handshakeOf({ headers: { cookie: 'AccessToken=acc.c; IdToken=id.c; other=1' } });
    expect(tokensOfHandshake(hs, withCookies)).toEqual({ access: 'acc.c', id: 'id.c', source: 'cookie' });
    expect(tokensOfHandshake(hs, noCookies)).toEqual({ access: undefined, id: undefined, source: 'header' });
  });

  it('never a refresh token, from a header or a cookie', () => {
    const hs = handshakeOf({ headers: { accesstoken: 'acc.h', refreshtoken: 'ref.h', cookie: 'RefreshToken=ref.c' } });
    expect(tokensOfHandshake(hs, withCookies).refresh).toBeUndefined();
    expect(tokensOfHandshake(hs, noCookies).refresh).toBeUndefined();
    expect(tokensOfHandshake(handshakeOf({ auth: { accessToken: 'acc.a', refreshToken: 'ref.a' } }), noCookies).refresh).toBeUndefined();
  });

  it('never a query parameter or the URL, whatever it is named', () => {
    const query = { accessToken: 'acc.q', idToken: 'id.q', access_token: 'acc.q', token: 'acc.q', authorization: 'Bearer acc.q' };
    const url = '/socket.io/?EIO=4&transport=websocket&accessToken=acc.q&idToken=id.q&access_token=acc.q';
    expect(tokensOfHandshake(handshakeOf({ query, url }), withCookies)).toEqual({ access: undefined, id: undefined, source: 'header' });
  });
});

describe('tokensOfRequest: a ws upgrade request', () => {
  const upgrade = (url: string, headers: Record<string, string>): IncomingMessage => {
    const req = new IncomingMessage(new Socket());
    req.url = url;
    req.headers = headers;
    return req;
  };

  it('its headers: Bearer, `accesstoken`, `idtoken`; never the refresh token', () => {
    const req = upgrade('/ws', { authorization: 'Bearer acc.b', idtoken: 'id.h', refreshtoken: 'ref.h' });
    expect(tokensOfRequest(req, noCookies)).toEqual({ access: 'acc.b', id: 'id.h', source: 'header' });
  });

  it('its cookies when cookies are on, a header winning over a cookie', () => {
    expect(tokensOfRequest(upgrade('/ws', { cookie: 'AccessToken=acc.c; IdToken=id.c' }), withCookies)).toEqual({
      access: 'acc.c',
      id: 'id.c',
      source: 'cookie',
    });
    expect(tokensOfRequest(upgrade('/ws', { accesstoken: 'acc.h', cookie: 'AccessToken=acc.c; IdToken=id.c' }), withCookies)).toEqual({
      access: 'acc.h',
      id: 'id.c',
      source: 'cookie',
    });
  });

  it('never its query string', () => {
    const req = upgrade('/ws?accessToken=acc.q&idToken=id.q&access_token=acc.q&authorization=Bearer%20acc.q', {});
    expect(tokensOfRequest(req, withCookies)).toEqual({ access: undefined, id: undefined, source: 'header' });
  });

  it('no request, or one without headers: no tokens', () => {
    expect(tokensOfRequest(undefined, noCookies)).toEqual({ source: 'header' });
    expect(tokensOfRequest({ headers: undefined as unknown as Record<string, string> }, noCookies)).toEqual({ source: 'header' });
  });
});

describe('closeClient', () => {
  const refusals: CognitoAuthError[] = [new TokenExpiredError(), new ForbiddenClaimsError(), new AuthUnavailableError()];

  it('socket.io: disconnects the socket, once, without closing the shared connection (`disconnect()`, not `disconnect(true)`)', () => {
    const client = new IoSocket();
    closeClient(client, new TokenExpiredError());
    expect(client.disconnects).toEqual([[]]);
  });

  it('ws, open: closes with 4000 + status and our code as the reason', () => {
    const closes = refusals.map((error) => {
      const client = new WsSocket(1);
      closeClient(client, error);
      return client.closes;
    });
    expect(closes).toEqual([[[4401, 'token_expired']], [[4403, 'forbidden_claims']], [[4503, 'auth_unavailable']]]);
  });

  it('ws: every code fits a close frame`s reason (RFC 6455 section 5.5: at most 123 bytes)', () => {
    for (const code of COGNITO_AUTH_ERROR_CODES) {
      const client = new WsSocket(1);
      closeClient(client, Object.assign(new TokenMissingError([], true), { code }));
      const [[, reason]] = client.closes;
      expect(reason).toBe(code);
      expect(Buffer.byteLength(reason!, 'utf8')).toBeLessThanOrEqual(123);
    }
  });

  it.each([
    ['connecting', 0],
    ['closing', 2],
    ['closed', 3],
  ])('ws, %s: left alone', (_label, readyState) => {
    const client = new WsSocket(readyState);
    closeClient(client, new TokenExpiredError());
    expect(client.closes).toEqual([]);
  });

  it('a client with both shapes is treated as socket.io', () => {
    const client = Object.assign(new IoSocket(), {
      readyState: 1,
      closes: [] as unknown[],
      close: (...args: unknown[]) => client.closes.push(args),
    });
    closeClient(client, new TokenExpiredError());
    expect(client.disconnects).toEqual([[]]);
    expect(client.closes).toEqual([]);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 7],
    ['an empty object', {}],
    ['a close without readyState', { close: noop }],
  ])('%s: nothing to close, no throw', (_label, client) => {
    expect(() => closeClient(client, new TokenExpiredError())).not.toThrow();
  });
});
