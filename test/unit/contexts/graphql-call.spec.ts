import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { buildSchema } from 'graphql';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, makeServer, MessageType, type Context } from 'graphql-ws';
import { graphqlCallOf, graphqlCarrierOf, socketCallOf, type GraphqlCall } from '../../../src/contexts/graphql-call.js';

/**
 * `graphqlCallOf` reads a resolver's context (its third argument) as each GraphQL driver builds it:
 * a query or mutation over HTTP gives its request (tokens) and,
 * when one is reachable, its response (refreshed tokens); an operation over a socket (graphql-ws,
 * Mercurius subscriptions) gives the connection parameters, the upgrade request and the socket.
 * The carrier of the outcome is the HTTP request (so a query with several guarded fields
 * authenticates once) or the connection (once per connection).
 *
 * Node's own `IncomingMessage` and `ServerResponse` stand for Express's request and response;
 * graphql-ws contexts are made by graphql-ws itself (`makeServer`), with a socket that is only
 * an in-memory object (graphql-ws's `WebSocket` interface). Fastify's reply and Mercurius's
 * subscription context are built by hand in their shapes (commented where built).
 */

/** An Express request and response, linked both ways as Express links them (`req.res`, `res.req`). */
const express = (headers: Record<string, string> = { authorization: 'Bearer acc.1' }) => {
  const req = new IncomingMessage(new Socket());
  req.headers = headers;
  const res = new ServerResponse(req);
  Object.assign(req, { res });
  return { req, res };
};

/** A Fastify reply, by hand: its `header()` and its request (Fastify's request has `headers`, no `res`). */
const fastify = () => {
  const request = { headers: { authorization: 'Bearer acc.f' }, raw: {}, method: 'POST' };
  const reply = { request, header: (_name: string, _value: string) => reply, code: (_status: number) => reply };
  return { request, reply };
};

const schema = buildSchema('type Query { ok: Boolean }');
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/**
 * A graphql-ws connection context as graphql-ws makes it: a server, a socket opened on it with
 * `extra`, and (unless `init` is false) a `connection_init` message carrying `payload`.
 */
async function graphqlWsContext(extra: unknown, payload?: unknown, init = true): Promise<Context> {
  let seen: Context | undefined;
  const capture = (ctx: Context): void => void (seen = ctx);
  const server = makeServer({ schema, connectionInitWaitTimeout: 0, onConnect: capture, onClose: capture });
  let deliver: ((data: string) => Promise<void>) | undefined;
  const socket = {
    protocol: GRAPHQL_TRANSPORT_WS_PROTOCOL,
    send: async () => undefined,
    close: () => undefined,
    onMessage: (cb: (data: string) => Promise<void>) => void (deliver = cb),
  };
  const closed = server.opened(socket, extra);
  if (init) {
    closers.push(closed);
    await deliver!(JSON.stringify({ type: MessageType.ConnectionInit, payload }));
  } else {
    await closed(1000, 'read before connection_init'); // graphql-ws hands the context to `onClose` as it stands
  }
  return seen!;
}

describe('graphqlCallOf: queries and mutations over HTTP', () => {
  it('Apollo on Express, `{ req }` (Nest`s default): the request, and its response through `req.res`', () => {
    const { req, res } = express();
    expect(graphqlCallOf({ req })).toEqual<GraphqlCall>({ kind: 'http', request: req, response: res, carrier: req });
  });

  it('a `req.res` that does not link back to the request is not its response', () => {
    const { req } = express();
    const other = express();
    Object.assign(req, { res: other.res });
    expect(graphqlCallOf({ req })).toMatchObject({ kind: 'http', request: req, response: undefined });
  });

  it('a `req.res` that cannot set a header is not a response', () => {
    const req = { headers: {}, res: {} as { req?: unknown } };
    req.res.req = req;
    expect(graphqlCallOf({ req })).toMatchObject({ kind: 'http', request: req, response: undefined });
  });

  it('the app`s context function passing `res`: that response', () => {
    const { req, res } = express();
    const other = express();
    expect(graphqlCallOf({ req, res: other.res })).toMatchObject({ request: req, response: other.res });
    expect(graphqlCallOf({ req, res: { not: 'a response' } })).toMatchObject({ request: req, response: res });
  });

  it('Mercurius, `{ req, reply }`: the reply, ahead of `res`', () => {
    const { request, reply } = fastify();
    expect(graphqlCallOf({ req: request, reply, app: {} })).toEqual<GraphqlCall>({
      kind: 'http',
      request,
      response: reply,
      carrier: request,
    });
    expect(graphqlCallOf({ req: request, reply, res: express().res })).toMatchObject({ response: reply });
  });

  it('Apollo on Fastify, `{ req }` alone: the request, no response', () => {
    const { request } = fastify();
    expect(graphqlCallOf({ req: request })).toEqual<GraphqlCall>({ kind: 'http', request, response: undefined, carrier: request });
  });

  it('the request found as `req`, else `request`, else `reply.request`', () => {
    const { request, reply } = fastify();
    const other = { headers: { accesstoken: 'acc.other' } };
    expect(graphqlCallOf({ request })).toMatchObject({ kind: 'http', request });
    expect(graphqlCallOf({ reply })).toMatchObject({ kind: 'http', request, response: reply });
    expect(graphqlCallOf({ req: other, request, reply })).toMatchObject({ request: other });
    expect(graphqlCallOf({ req: { headers: 'not a record' }, request })).toMatchObject({ request });
  });

  it.each([
    ['no headers', { req: {} }],
    ['headers that are null', { req: { headers: null } }],
    ['headers that are a string', { req: { headers: 'authorization: Bearer x' } }],
    ['a request that is a string', { req: 'GET /graphql' }],
    ['a reply without a request', { reply: { header: () => undefined } }],
    ['a request that is a Buffer', { req: Buffer.from('GET /graphql') }],
    ['a request that is an array of requests', { req: [{ headers: {} }] }],
    ['other casings of the drivers` names', { Req: { headers: {} }, REQUEST: { headers: {} }, Reply: { request: { headers: {} } } }],
    ['nothing the drivers put', { user: { sub: 'u-1' } }],
  ])('no HTTP request (%s): not a call', (_label, ctx) => {
    expect(graphqlCallOf(ctx)).toBeUndefined();
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'context'],
    ['a number', 3],
  ])('a context that is %s: not a call', (_label, ctx) => {
    expect(graphqlCallOf(ctx)).toBeUndefined();
  });
});

describe('graphqlCallOf: operations over graphql-ws', () => {
  const upgrade = () => express({ cookie: 'AccessToken=acc.c' }).req;

  it('Apollo subscriptions, `{ req }` holding graphql-ws`s context: its parameters, upgrade request and socket', async () => {
    const request = upgrade();
    const socket = { close: () => undefined };
    const ws = await graphqlWsContext({ request, socket }, { accessToken: 'acc.p' });
    expect(graphqlCallOf({ req: ws })).toEqual<GraphqlCall>({
      kind: 'socket',
      params: { accessToken: 'acc.p' },
      request,
      socket,
      carrier: ws,
    });
  });

  it('graphql-ws`s context given as the context itself: the same', async () => {
    const request = upgrade();
    const ws = await graphqlWsContext({ request, socket: {} }, { Authorization: 'Bearer acc.p' });
    expect(graphqlCallOf(ws)).toMatchObject({ kind: 'socket', params: { Authorization: 'Bearer acc.p' }, request, carrier: ws });
  });

  it('a connection before `connection_init` (no parameters yet) is still graphql-ws`s', async () => {
    const ws = await graphqlWsContext({ request: upgrade() }, undefined, false);
    expect(ws.connectionInitReceived).toBe(false);
    expect(graphqlCallOf({ req: ws })).toMatchObject({ kind: 'socket', params: undefined, carrier: ws });
  });

  it.each([
    ['absent', undefined],
    ['null', null],
  ])('a `connection_init` payload that is %s: no parameters', async (_label, payload) => {
    const ws = await graphqlWsContext({ request: upgrade() }, payload);
    expect(graphqlCallOf({ req: ws })).toMatchObject({ kind: 'socket', params: undefined });
  });

  it.each([
    ['null', null],
    ['a string', 'ws'],
    ['a number', 1],
  ])('an `extra` that is %s: no request, no socket', (_label, extra) => {
    const ws = { connectionInitReceived: true, connectionParams: { accessToken: 'acc.p' }, extra };
    expect(graphqlCallOf({ req: ws })).toEqual<GraphqlCall>({
      kind: 'socket',
      params: { accessToken: 'acc.p' },
      request: undefined,
      socket: undefined,
      carrier: ws,
    });
  });

  it('an upgrade request without a headers record is no request; a socket that is not an object is no socket', async () => {
    const ws = await graphqlWsContext({ request: { url: '/graphql' }, socket: 'socket' }, {});
    expect(graphqlCallOf(ws)).toMatchObject({ kind: 'socket', request: undefined, socket: undefined });
  });

  it.each([
    ['null', null],
    ['a string', 'accessToken=acc.p'],
    ['a number', 5],
  ])('`connectionParams` that are %s (another integration`s context): no parameters', (_label, connectionParams) => {
    const ws = { connectionInitReceived: true, connectionParams, extra: {} };
    expect(graphqlCallOf(ws)).toMatchObject({ kind: 'socket', params: undefined });
  });

  it('`extra` alone does not make graphql-ws`s context: an HTTP request with an `extra` member stays HTTP', () => {
    const req = { headers: { authorization: 'Bearer acc.1' }, extra: { request: {} } };
    expect(graphqlCallOf({ req })).toMatchObject({ kind: 'http', request: req });
  });

  it('socketCallOf keeps the outcome on the connection context unless told another carrier', async () => {
    const ws = await graphqlWsContext({ request: upgrade() }, {});
    const elsewhere = {};
    expect(socketCallOf(ws).carrier).toBe(ws);
    expect(socketCallOf(ws, elsewhere).carrier).toBe(elsewhere);
  });
});

describe('graphqlCallOf: Mercurius subscriptions', () => {
  /** Mercurius's subscription context, by hand: `{ request, _connectionInit, pubsub, reply: { request } }`. */
  const mercurius = (connectionInit: unknown, request: unknown = { headers: { cookie: 'AccessToken=acc.c' } }) => ({
    app: {},
    pubsub: {},
    request,
    _connectionInit: connectionInit,
    reply: { request },
  });

  it('the connection parameters and the upgrade request; the request carries the outcome; no socket', () => {
    const request = { headers: { cookie: 'AccessToken=acc.c' } };
    const ctx = mercurius({ accessToken: 'acc.p' }, request);
    expect(graphqlCallOf(ctx)).toEqual<GraphqlCall>({
      kind: 'socket',
      params: { accessToken: 'acc.p' },
      request,
      socket: undefined,
      carrier: request,
    });
  });

  it('is a socket call even though its `reply` stand-in holds the request (never HTTP, never refreshed)', () => {
    const ctx = mercurius(undefined);
    expect(graphqlCallOf(ctx)?.kind).toBe('socket');
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'acc.p'],
  ])('`_connectionInit` that is %s: no parameters', (_label, init) => {
    expect(graphqlCallOf(mercurius(init))).toMatchObject({ kind: 'socket', params: undefined });
  });

  it('no usable request: no request, and the context itself carries the outcome', () => {
    const ctx = mercurius({ accessToken: 'acc.p' }, { url: '/graphql' });
    expect(graphqlCallOf(ctx)).toMatchObject({ kind: 'socket', request: undefined, carrier: ctx });
  });
});

describe('graphqlCarrierOf', () => {
  it('an HTTP call: its request, the same for every field of the query', () => {
    const { req } = express();
    expect(graphqlCarrierOf({ req })).toBe(req);
    expect(graphqlCarrierOf({ req, dataLoaders: {} })).toBe(req);
  });

  it('a graphql-ws operation: the connection context, the same for every operation on it', async () => {
    const ws = await graphqlWsContext({ request: express().req }, {});
    expect(graphqlCarrierOf({ req: ws })).toBe(ws);
    expect(graphqlCarrierOf(ws)).toBe(ws);
  });

  it('a context of no known driver: the context itself', () => {
    const ctx = { user: 'the app`s own' };
    expect(graphqlCarrierOf(ctx)).toBe(ctx);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'context'],
  ])('a context that is %s: no carrier', (_label, ctx) => {
    expect(graphqlCarrierOf(ctx)).toBeUndefined();
  });
});
