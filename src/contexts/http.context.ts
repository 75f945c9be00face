import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { AuthResult } from '../auth/authenticator.types.js';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { CognitoSessionService } from '../session/cognito-session.service.js';
import { CSRF_COOKIE } from '../session/cookies.js';
import { checkCsrf } from '../session/csrf.js';
import { applyErrorHeaders } from '../session/http-error-headers.js';
import { extractTokens, type RequestHeadersLike } from '../session/http-tokens.extractor.js';
import type { CognitoContextAdapter, ContextTokens } from './context.adapter.js';

type HttpRequest = RequestHeadersLike & { method?: string };

/**
 * Reads and writes tokens on an HTTP request and response, for Express and Fastify alike (and for
 * GraphQL queries and mutations, which run under an HTTP request): headers, Bearer and cookies in;
 * refreshed tokens out the way they came; CSRF for cookie-borne tokens; the status table's
 * headers on a refusal.
 */
@Injectable()
export class HttpContextAdapter implements CognitoContextAdapter {
  readonly canRefresh = true;
  readonly perConnection = false;

  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    private readonly session: CognitoSessionService,
  ) {}

  /** The HTTP request. */
  carrier(context: ExecutionContext): object | undefined {
    return this.request(context);
  }

  /** Headers, Bearer and (with cookies on) cookies of the request. */
  readTokens(context: ExecutionContext): ContextTokens {
    return this.tokensOf(this.request(context));
  }

  /** The tokens of a request object (Express `req` or Fastify `request`). */
  tokensOf(req: RequestHeadersLike | undefined): ContextTokens {
    if (!req?.headers) return { source: 'header' };
    const t = extractTokens(req, this.settings);
    return { access: t.access, id: t.id, refresh: t.refresh, source: t.fromCookies ? 'cookie' : 'header', cookies: t.cookies };
  }

  /** Double-submit CSRF: cookie-borne tokens on an unsafe method need `X-CSRF-Token` equal to the cookie. */
  beforeVerify(context: ExecutionContext, tokens: ContextTokens): void {
    this.checkCsrf(this.request(context), tokens);
  }

  /** Throws 403 `csrf_failed` when CSRF is on, the tokens came from cookies and the method is unsafe. */
  checkCsrf(req: HttpRequest | undefined, tokens: ContextTokens): void {
    if (!this.settings.csrf || tokens.source !== 'cookie') return;
    checkCsrf({ method: req?.method, headers: req?.headers ?? {}, cookies: tokens.cookies });
  }

  /** Hands refreshed tokens back the way they came; issues the CSRF cookie when a cookie session has none. */
  onSuccess(context: ExecutionContext, tokens: ContextTokens, result: AuthResult): void {
    if (result.refreshed || (this.settings.csrf && tokens.source === 'cookie')) this.deliver(this.response(context), tokens, result);
  }

  /** `onSuccess` on a given response object. */
  deliver(res: unknown, tokens: ContextTokens, result: AuthResult): void {
    if (result.refreshed) this.session.sendTokens(res, result.refreshed, tokens.source);
    if (this.settings.csrf && tokens.source === 'cookie' && !tokens.cookies?.has(CSRF_COOKIE)) this.session.issueCsrfCookie(res);
  }

  /** Sets `WWW-Authenticate` / `Retry-After`, clears the cookies when Cognito refused the refresh token. */
  refuse(context: ExecutionContext, error: CognitoAuthError, tokens: ContextTokens | undefined): Error {
    return this.refuseOn(this.response(context), error, tokens);
  }

  /** `refuse` on a given response object. */
  refuseOn(res: unknown, error: CognitoAuthError, _tokens?: ContextTokens): Error {
    applyErrorHeaders(res, error);
    if (error.code === 'refresh_failed' && this.settings.cookies.enabled) this.session.clearCookies(res);
    return error;
  }

  // `getArgByIndex` reads what `switchToHttp().getRequest()` / `getResponse()` return (an HTTP
  // context's arguments are `[request, response, next]`) without `switchToHttp()`, which assigns
  // three new closures to the context on every call: the guard asks for the request several times
  // per request.
  private request(context: ExecutionContext): HttpRequest | undefined {
    return context.getArgByIndex<HttpRequest | undefined>(0);
  }

  private response(context: ExecutionContext): unknown {
    return context.getArgByIndex<unknown>(1);
  }
}
