import type { ExecutionContext } from '@nestjs/common';
import type { AuthResult, TokenInput } from '../auth/authenticator.types.js';
import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';

/** The tokens a context found, with what its transport needs to remember about them. */
export interface ContextTokens extends TokenInput {
  /** HTTP: the request's cookies the library reads (token cookies and `csrf_token`). */
  readonly cookies?: ReadonlyMap<string, string>;
}

/**
 * The I/O of one kind of Nest execution context: where its tokens are, where the outcome of
 * authenticating lives, how new tokens go back, and what a refusal looks like. The guard and
 * the authenticator do the rest, the same for every context.
 */
export interface CognitoContextAdapter {
  /**
   * The object the outcome is kept on (the HTTP request, the socket, the message context), so a
   * guard that runs twice authenticates once and the decorators find the caller.
   */
  carrier(context: ExecutionContext): object | undefined;
  /** The tokens the caller presented (empty when none). */
  readTokens(context: ExecutionContext): ContextTokens;
  /** Whether new tokens from a transparent refresh can be handed back on this transport. */
  readonly canRefresh: boolean;
  /**
   * False for HTTP (one request, one outcome). True for connections (sockets): the outcome kept
   * on the connection answers each later message only while its tokens have neither expired nor
   * been revoked; otherwise the guard authenticates again (and, with no refresh over a socket,
   * refuses).
   */
  readonly perConnection: boolean;
  /** Checks made before verification (HTTP: CSRF for cookie-borne tokens on unsafe methods). */
  beforeVerify?(context: ExecutionContext, tokens: ContextTokens): void;
  /** After success: hand refreshed tokens back, issue the CSRF cookie. */
  onSuccess?(context: ExecutionContext, tokens: ContextTokens, result: AuthResult): void;
  /**
   * What to throw for a refusal in this context (an HTTP exception with its headers set, a
   * GraphQL error, a `WsException`, an `RpcException`); may close the connection.
   */
  refuse(context: ExecutionContext, error: CognitoAuthError, tokens: ContextTokens | undefined): Error;
}
