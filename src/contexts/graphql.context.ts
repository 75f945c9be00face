import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { AuthResult, TokenUse } from '../auth/authenticator.types.js';
import { CognitoAuthenticator } from '../auth/cognito.authenticator.js';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import type { CognitoContextAdapter, ContextTokens } from './context.adapter.js';
import { type GraphqlCall, graphqlCallOf, type GraphqlWsConnectionContext, socketCallOf } from './graphql-call.js';
import { CognitoGraphqlError } from './graphql-error.js';
import { closeSocket, socketTokens } from './graphql-socket.js';
import { endsConnection } from './socket-refusal.js';
import { HttpContextAdapter } from './http.context.js';
import { carrierOf } from './request-state.js';

/**
 * GraphQL (`@nestjs/graphql`, Apollo and Mercurius drivers). Queries and mutations over HTTP read
 * the HTTP request under the GraphQL context the way HTTP routes do (headers, Bearer, cookies,
 * CSRF) and hand refreshed tokens back on its response; a query with several guarded fields
 * authenticates once. Operations over a socket (graphql-ws subscriptions, Mercurius
 * subscriptions) read the connection parameters or the upgrade request, never refresh, and a
 * refusal about the caller's identity closes the connection with 4401 / 4403 / 4503.
 *
 * Refusals are thrown as `CognitoGraphqlError`: HTTP 200, the field `null`, and
 * `extensions: { code, status }` on the error.
 */
@Injectable()
export class GraphqlContextAdapter implements CognitoContextAdapter {
  /** Over HTTP, when the response is reachable; socket operations carry no refresh token. */
  readonly canRefresh = true;
  /** A kept outcome is re-checked for expiry: a graphql-ws connection keeps its outcome across subscriptions. */
  readonly perConnection = true;

  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    private readonly http: HttpContextAdapter,
    private readonly authenticator: CognitoAuthenticator,
  ) {}

  /** The HTTP request of a query, the graphql-ws connection context of a subscription. */
  carrier(context: ExecutionContext): object | undefined {
    return carrierOf(context);
  }

  /** Over HTTP the request's tokens (the refresh token only when new tokens can be handed back); over a socket the connection's. */
  readTokens(context: ExecutionContext): ContextTokens {
    const call = this.call(context);
    if (!call) return { source: 'header' };
    if (call.kind === 'socket') return socketTokens(call, (req) => this.http.tokensOf(req));
    const tokens = this.http.tokensOf(call.request);
    if (call.response !== undefined || tokens.refresh === undefined) return tokens;
    const { refresh: _dropped, ...rest } = tokens;
    return rest;
  }

  /** CSRF for cookie-borne tokens on an unsafe HTTP method (a GraphQL POST is one). */
  beforeVerify(context: ExecutionContext, tokens: ContextTokens): void {
    const call = this.call(context);
    if (call?.kind === 'http') this.http.checkCsrf(call.request, tokens);
  }

  /** Refreshed tokens (and the CSRF cookie) go out on the HTTP response, as for a route. */
  onSuccess(context: ExecutionContext, tokens: ContextTokens, result: AuthResult): void {
    const call = this.call(context);
    if (call?.kind === 'http' && call.response !== undefined) this.http.deliver(call.response, tokens, result);
  }

  /**
   * The refusal as a GraphQL error. Over HTTP the response also gets the status table's headers
   * (and cleared cookies after `refresh_failed`); over a socket an identity refusal closes the
   * connection (4401 / 4403 / 4503, our code as the reason), while a refusal by the operation's
   * own rules (`@Groups`, `@Scopes`, callers) refuses that operation only.
   */
  refuse(context: ExecutionContext, error: CognitoAuthError, tokens: ContextTokens | undefined): Error {
    const call = this.call(context);
    if (call?.kind === 'http' && call.response !== undefined) this.http.refuseOn(call.response, error, tokens);
    if (call?.kind === 'socket' && endsConnection(error)) closeSocket(call.socket, error);
    return new CognitoGraphqlError(error);
  }

  /**
   * Authenticates a graphql-ws connection from its `connection_init` parameters or upgrade
   * request, with no refresh: what `createGraphqlWsOnConnect` runs at connect.
   * @throws CognitoAuthError
   */
  authenticateConnection(connection: GraphqlWsConnectionContext, tokenUse: TokenUse = this.settings.tokenUse): Promise<AuthResult> {
    const tokens = socketTokens(socketCallOf(connection), (req) => this.http.tokensOf(req));
    return this.authenticator.authenticate(tokens, { tokenUse, allowRefresh: false });
  }

  private call(context: ExecutionContext): GraphqlCall | undefined {
    return graphqlCallOf(context.getArgs()[2]);
  }
}
