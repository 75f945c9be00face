import type { RequestHeadersLike } from '../session/http-tokens.extractor.js';

/** An HTTP request as the GraphQL adapter reads it (Express `req` or Fastify `request`). */
export type GraphqlHttpRequest = RequestHeadersLike & { readonly method?: string };

/** A socket the adapter can close with a code and a reason (`ws`, Bun, uWebSockets.js). */
export interface ClosableSocket {
  close?(code: number, reason: string): unknown;
  end?(code: number, reason: string): unknown;
}

/**
 * The part of graphql-ws's connection context (`Context` of `graphql-ws`) the library reads: the
 * `connection_init` payload and, on the `ws` server Nest's Apollo driver runs, the socket and the
 * upgrade request in `extra`. graphql-ws's own `Context` is assignable to it.
 */
export interface GraphqlWsConnectionContext {
  readonly connectionParams?: Readonly<Record<string, unknown>>;
  readonly extra?: unknown;
}

/** A query or mutation over HTTP: tokens from the request; refreshed tokens to the response, when one is reachable. */
export interface GraphqlHttpCall {
  readonly kind: 'http';
  readonly request: GraphqlHttpRequest;
  readonly response: unknown;
  readonly carrier: object;
}

/**
 * An operation over a socket (graphql-ws, Mercurius subscriptions): tokens from the connection
 * parameters, else the upgrade request's headers and cookies; no refresh.
 */
export interface GraphqlSocketCall {
  readonly kind: 'socket';
  readonly params: Readonly<Record<string, unknown>> | undefined;
  readonly request: GraphqlHttpRequest | undefined;
  readonly socket: ClosableSocket | undefined;
  readonly carrier: object;
}

/** What a GraphQL resolver's context says about the call. */
export type GraphqlCall = GraphqlHttpCall | GraphqlSocketCall;

type Loose = Record<string, unknown>;

function asObject(value: unknown): Loose | undefined {
  return value !== null && typeof value === 'object' ? (value as Loose) : undefined;
}

function isHttpRequest(value: unknown): value is GraphqlHttpRequest {
  return asObject(asObject(value)?.headers) !== undefined;
}

/** graphql-ws's connection context: it always has `extra`, and `connectionInitReceived` or `connectionParams`. */
function asGraphqlWsContext(value: unknown): (GraphqlWsConnectionContext & Loose) | undefined {
  const c = asObject(value);
  if (!c || !('extra' in c)) return undefined;
  return 'connectionInitReceived' in c || 'connectionParams' in c ? c : undefined;
}

/** The pieces of a graphql-ws connection context: parameters, upgrade request, socket. */
export function socketCallOf(ws: GraphqlWsConnectionContext, carrier: object = ws): GraphqlSocketCall {
  const extra = asObject(ws.extra);
  const request = isHttpRequest(extra?.request) ? extra.request : undefined;
  const socket = asObject(extra?.socket) as ClosableSocket | undefined;
  return { kind: 'socket', params: asObject(ws.connectionParams), request, socket, carrier };
}

/**
 * The response of an HTTP call: Fastify's `reply` (Mercurius puts it in the context), a `res`
 * the app's context function passed, or Express's `req.res` (Express links the two both ways;
 * Nest's Apollo driver passes only `req` by default).
 */
function responseOf(ctx: Loose, request: GraphqlHttpRequest): unknown {
  if (isResponse(ctx.reply)) return ctx.reply;
  if (isResponse(ctx.res)) return ctx.res;
  const res = asObject((request as { res?: unknown }).res);
  return res && res.req === request && isResponse(res) ? res : undefined;
}

/** A Fastify reply (`header()`) or a Node / Express response (`setHeader()`). */
function isResponse(value: unknown): boolean {
  const r = asObject(value);
  return r !== undefined && (typeof r.header === 'function' || typeof r.setHeader === 'function');
}

/**
 * Reads a GraphQL context (`context.getArgs()[2]`) as the drivers build it:
 * - Apollo on Express, queries: `{ req }` (Nest's default), or what the app's context function returns plus `req`;
 * - Apollo on Fastify: `{ req }` holding Fastify's request (no reply unless the app passes `reply`);
 * - Mercurius: `{ req, reply, app, ... }`;
 * - Apollo subscriptions over graphql-ws: `{ req }` holding graphql-ws's connection context;
 * - Mercurius subscriptions: `{ request, _connectionInit, pubsub, reply: { request } }` (the upgrade request, no response).
 */
export function graphqlCallOf(gqlContext: unknown): GraphqlCall | undefined {
  const ctx = asObject(gqlContext);
  if (!ctx) return undefined;
  const ws = asGraphqlWsContext(ctx.req) ?? asGraphqlWsContext(ctx);
  if (ws) return socketCallOf(ws);
  // Mercurius also gives subscriptions a `reply`, a stand-in holding only the upgrade request.
  if ('_connectionInit' in ctx) {
    const request = isHttpRequest(ctx.request) ? ctx.request : undefined;
    return { kind: 'socket', params: asObject(ctx._connectionInit), request, socket: undefined, carrier: request ?? ctx };
  }
  const request = [ctx.req, ctx.request, asObject(ctx.reply)?.request].find(isHttpRequest);
  if (!request) return undefined;
  return { kind: 'http', request, response: responseOf(ctx, request), carrier: request };
}

/**
 * The object a GraphQL call's outcome is kept on: the HTTP request (so a query with several
 * guarded fields authenticates once), graphql-ws's connection context (once per connection), or
 * the context itself when the driver is not recognised.
 */
export function graphqlCarrierOf(gqlContext: unknown): object | undefined {
  return graphqlCallOf(gqlContext)?.carrier ?? asObject(gqlContext);
}
