import type { INestApplicationContext } from '@nestjs/common';
import type { AuthResult, TokenUse } from '../auth/authenticator.types.js';
import { isCognitoAuthError } from '../errors/cognito-auth.errors.js';
import { type GraphqlWsConnectionContext, socketCallOf } from './graphql-call.js';
import { closeSocket } from './graphql-socket.js';
import { GraphqlContextAdapter } from './graphql.context.js';

/** What graphql-ws's `onConnect` may return: `false` refuses, an object is the ack payload. */
export type GraphqlWsOnConnectResult = boolean | Record<string, unknown>;

/** Options of {@link createGraphqlWsOnConnect}. */
export interface GraphqlWsOnConnectOptions<C extends GraphqlWsConnectionContext = GraphqlWsConnectionContext> {
  /** The tokens a connection must bring; default the module's `tokenUse`. */
  readonly tokenUse?: TokenUse;
  /**
   * Runs after the connection is authenticated, with the outcome: return `false` to refuse,
   * an object to send as the `connection_ack` payload, nothing to accept.
   */
  readonly onAuthenticated?: (ctx: C, result: AuthResult) => GraphqlWsOnConnectResult | void | Promise<GraphqlWsOnConnectResult | void>;
}

/** The adapter itself, or an app / module reference to take it from on the first connection. */
export type GraphqlWsAuthSource = GraphqlContextAdapter | Pick<INestApplicationContext, 'get'>;

function adapterOf(source: GraphqlWsAuthSource): GraphqlContextAdapter {
  if (typeof (source as Partial<GraphqlContextAdapter>).authenticateConnection === 'function') return source as GraphqlContextAdapter;
  return (source as Pick<INestApplicationContext, 'get'>).get(GraphqlContextAdapter, { strict: false });
}

/**
 * An `onConnect` for graphql-ws (`subscriptions: { 'graphql-ws': { onConnect } }` of Nest's Apollo
 * driver) that refuses a connection at connect, before any subscription: it authenticates the
 * `connection_init` parameters (`accessToken`, `idToken`, `Authorization: Bearer …`) or the
 * upgrade request's headers and cookies, with no refresh, and on failure closes the socket with
 * 4401, 4403 or 4503 and our code (`token_missing`, `token_expired`...) as the reason. Guards
 * still run per subscription, so an identity that expires while connected is refused on the next
 * subscription.
 *
 * @example
 * GraphQLModule.forRootAsync<ApolloDriverConfig>({
 *   driver: ApolloDriver,
 *   inject: [GraphqlContextAdapter],
 *   useFactory: (cognito: GraphqlContextAdapter) => ({
 *     autoSchemaFile: true,
 *     subscriptions: { 'graphql-ws': { onConnect: createGraphqlWsOnConnect(cognito) } },
 *   }),
 * })
 */
export function createGraphqlWsOnConnect<C extends GraphqlWsConnectionContext>(
  source: GraphqlWsAuthSource,
  options: GraphqlWsOnConnectOptions<C> = {},
): (ctx: C) => Promise<GraphqlWsOnConnectResult> {
  let adapter: GraphqlContextAdapter | undefined;
  return async (ctx: C): Promise<GraphqlWsOnConnectResult> => {
    adapter ??= adapterOf(source);
    let result: AuthResult;
    try {
      result = await adapter.authenticateConnection(ctx, options.tokenUse);
    } catch (err) {
      if (!isCognitoAuthError(err)) throw err;
      // graphql-ws closes with 4403 "Forbidden" when onConnect returns false; a socket closed
      // first keeps our code and reason (a second close of a closing `ws` socket is ignored).
      closeSocket(socketCallOf(ctx).socket, err);
      return false;
    }
    const answer = await options.onAuthenticated?.(ctx, result);
    return answer === undefined ? true : answer;
  };
}
