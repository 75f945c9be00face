import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { ExecutionContextHost } from '@nestjs/core/internal';
import { RedisContext } from '@nestjs/microservices';
import type { AuthResult } from '../../../src/auth/authenticator.types.js';
import { buildPrincipal } from '../../../src/auth/principal.js';
import {
  carrierOf,
  COGNITO_REQUEST_STATE,
  getAuthResult,
  type AuthOutcome,
  type StateCarrier,
} from '../../../src/contexts/request-state.js';
import { TokenExpiredError } from '../../../src/errors/cognito-auth.errors.js';
import type { CognitoAccessTokenClaims } from '../../../src/tokens/token.types.js';

/**
 * Where the guard's outcome lives, read without the DI container (parameter decorators have none):
 * `getAuthResult` answers only for a settled success, and `carrierOf` finds the carrier of each
 * context type. The state slot is `Symbol.for(...)`, so a CommonJS and an ESM copy of the package
 * in one app find each other's outcome.
 */

const access = {
  iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_State',
  sub: 'u-1',
  exp: 2_000_000_000,
  iat: 1_900_000_000,
  token_use: 'access',
  client_id: 'web',
  username: 'alice',
} as CognitoAccessTokenClaims;
const identity = buildPrincipal({ access });
const result: AuthResult = { identity, user: identity, tokens: { access }, accessToken: 'acc.1', expiresAtMs: 2_000_000_000_000 };

const withSlot = (slot: AuthOutcome | Promise<AuthOutcome>): StateCarrier => ({ [COGNITO_REQUEST_STATE]: slot });

describe('getAuthResult', () => {
  it('a settled success: its result', () => {
    expect(getAuthResult(withSlot({ result }))).toBe(result);
  });

  it('a refusal: no result', () => {
    expect(getAuthResult(withSlot({ error: new TokenExpiredError() }))).toBeUndefined();
  });

  it('an outcome still being established (a promise): no result, even one that will succeed', async () => {
    const pending = Promise.resolve<AuthOutcome>({ result });
    expect(getAuthResult(withSlot(pending))).toBeUndefined();
    await pending;
    expect(getAuthResult(withSlot(pending))).toBeUndefined();
  });

  it('a promise in the slot is never read as an outcome, whatever members it has', () => {
    const pending = Object.assign(Promise.resolve<AuthOutcome>({ result }), { result });
    expect(getAuthResult(withSlot(pending))).toBeUndefined();
  });

  it('a carrier no guard ran on: no result', () => {
    expect(getAuthResult({})).toBeUndefined();
    expect(getAuthResult({ user: identity })).toBeUndefined();
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 0],
    ['a string', 'carrier'],
    ['an array', []],
  ])('a carrier that is %s: no result, no throw', (_label, carrier) => {
    expect(getAuthResult(carrier)).toBeUndefined();
  });

  it('the slot is the registry symbol `nest-cognito-auth:state`, shared by every copy of the package', () => {
    expect(COGNITO_REQUEST_STATE).toBe(Symbol.for('nest-cognito-auth:state'));
    expect(getAuthResult({ [Symbol.for('nest-cognito-auth:state')]: { result } })).toBe(result);
  });

  it('a look-alike slot (a local symbol, or a string key of that name) is not the slot', () => {
    expect(getAuthResult({ [Symbol('nest-cognito-auth:state')]: { result } })).toBeUndefined();
    expect(getAuthResult({ 'nest-cognito-auth:state': { result } })).toBeUndefined();
  });
});

describe('carrierOf: the carrier of each context type', () => {
  const contextOf = (type: string, args: unknown[]): ExecutionContextHost => {
    const host = new ExecutionContextHost(args);
    host.setType(type);
    return host;
  };

  it('http: the request (the first argument)', () => {
    const req = new IncomingMessage(new Socket());
    expect(carrierOf(contextOf('http', [req, {}, () => undefined]))).toBe(req);
  });

  it('http: a first argument that is not an object is no carrier', () => {
    expect(carrierOf(contextOf('http', [undefined]))).toBeUndefined();
    expect(carrierOf(contextOf('http', ['GET /']))).toBeUndefined();
    expect(carrierOf(contextOf('http', []))).toBeUndefined();
  });

  it('graphql: the HTTP request under the resolver`s context (its third argument), shared by every field', () => {
    const req = { headers: { authorization: 'Bearer acc.1' } };
    expect(carrierOf(contextOf('graphql', [{}, { id: 1 }, { req }, {}]))).toBe(req);
    expect(carrierOf(contextOf('graphql', [{}, { id: 2 }, { req, extra: 1 }, {}]))).toBe(req);
  });

  it('graphql: an unrecognised context object is its own carrier; no context is none', () => {
    const gqlContext = { user: 'set by the app' };
    expect(carrierOf(contextOf('graphql', [{}, {}, gqlContext, {}]))).toBe(gqlContext);
    expect(carrierOf(contextOf('graphql', [{}, {}, undefined, {}]))).toBeUndefined();
  });

  it('ws: the client socket (the first argument), not the message', () => {
    const client = { id: 'socket-1' };
    expect(carrierOf(contextOf('ws', [client, { text: 'hi' }, 'events']))).toBe(client);
    expect(carrierOf(contextOf('ws', [null, { text: 'hi' }, 'events']))).toBeUndefined();
  });

  it('rpc: the per-message context', () => {
    const context = new RedisContext(['channel.me']);
    expect(carrierOf(contextOf('rpc', [{ n: 1 }, context]))).toBe(context);
  });

  it.each(['kafka', 'grpc', 'HTTP', 'Graphql', 'unknown'])('type `%s` (not one of Nest`s four, or another casing): no carrier', (type) => {
    const first = { headers: {} };
    expect(carrierOf(contextOf(type, [first, {}, { req: first }]))).toBeUndefined();
  });
});
