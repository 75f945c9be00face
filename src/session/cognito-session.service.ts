import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { TokenRefreshService } from '../tokens/token-refresh.service.js';
import type { TokenSource } from '../auth/authenticator.types.js';
import type { RefreshedTokens } from '../tokens/token.types.js';
import { type CookieAttributes, CSRF_COOKIE, serializeCookie } from './cookies.js';
import { appendResponseHeader, setResponseHeader } from './http-response.js';
import { extractTokens, type RequestHeadersLike } from './http-tokens.extractor.js';

/** Tokens to hand to a client after a login or a refresh. */
export interface SessionTokens {
  readonly accessToken: string;
  readonly idToken: string;
  /** Sent only when given: after a login, or when Cognito rotated it. */
  readonly refreshToken?: string;
}

/** The JSON body of a sign-in for a header client (cookies off). */
export interface SignInBody {
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken?: string;
  readonly expiresIn?: number;
}

/**
 * Writes tokens to, and clears them from, an HTTP response: the `ACCESSTOKEN` / `IDTOKEN` headers
 * or, with cookies on, the token cookies and the CSRF cookie. Apps use it for their own login and
 * logout routes; the HTTP context uses it after a transparent refresh.
 */
@Injectable()
export class CognitoSessionService {
  /** Name of the double-submit CSRF cookie. */
  static readonly CSRF_COOKIE = CSRF_COOKIE;

  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    private readonly refresher: TokenRefreshService,
  ) {}

  /**
   * Hands tokens back the way the client sent them. Header-borne: the response headers
   * `ACCESSTOKEN`, `IDTOKEN` (and `REFRESHTOKEN` when given), named in
   * `Access-Control-Expose-Headers`. Cookie-borne: the token cookies only, so that no token ever
   * reaches a header a page script can read. Both with `Cache-Control: no-store`.
   */
  sendTokens(res: unknown, tokens: SessionTokens | RefreshedTokens, source: TokenSource = 'header'): void {
    setResponseHeader(res, 'Cache-Control', 'no-store');
    if (source === 'cookie') {
      this.setTokenCookies(res, tokens);
      return;
    }
    setResponseHeader(res, 'ACCESSTOKEN', tokens.accessToken);
    setResponseHeader(res, 'IDTOKEN', tokens.idToken);
    const exposed = ['ACCESSTOKEN', 'IDTOKEN'];
    if (tokens.refreshToken) {
      setResponseHeader(res, 'REFRESHTOKEN', tokens.refreshToken);
      exposed.push('REFRESHTOKEN');
    }
    appendResponseHeader(res, 'Access-Control-Expose-Headers', exposed.join(', '));
  }

  /**
   * Ends a successful sign-in (a password login, a challenge answered, the hosted UI's callback).
   * With cookies on: the three token cookies and, with CSRF on, a fresh `csrf_token` cookie; the
   * result is undefined. With cookies off: nothing is written but `Cache-Control: no-store`, and
   * the tokens are returned for the JSON body of a header client.
   */
  signIn(res: unknown, tokens: SessionTokens & { readonly expiresIn?: number }): SignInBody | undefined {
    setResponseHeader(res, 'Cache-Control', 'no-store');
    if (!this.settings.cookies.enabled) {
      const { accessToken, idToken, refreshToken, expiresIn } = tokens;
      return { accessToken, idToken, ...(refreshToken ? { refreshToken } : {}), ...(expiresIn !== undefined ? { expiresIn } : {}) };
    }
    this.setTokenCookies(res, tokens);
    if (this.settings.csrf) this.issueCsrfCookie(res);
    return undefined;
  }

  /** Writes the token cookies (the refresh token's only when given). */
  private setTokenCookies(res: unknown, tokens: SessionTokens | RefreshedTokens): void {
    const names = this.settings.cookies.names;
    const attrs = this.cookieAttributes(this.settings.cookies.httpOnly);
    appendResponseHeader(res, 'Set-Cookie', serializeCookie(names.access, tokens.accessToken, attrs));
    appendResponseHeader(res, 'Set-Cookie', serializeCookie(names.id, tokens.idToken, attrs));
    if (tokens.refreshToken) appendResponseHeader(res, 'Set-Cookie', serializeCookie(names.refresh, tokens.refreshToken, attrs));
  }

  /** Sets a new `csrf_token` cookie (32 random bytes, base64url, readable by scripts) and returns its value. */
  issueCsrfCookie(res: unknown): string {
    const value = randomBytes(32).toString('base64url');
    appendResponseHeader(res, 'Set-Cookie', serializeCookie(CognitoSessionService.CSRF_COOKIE, value, this.cookieAttributes(false)));
    return value;
  }

  /** Clears the token cookies and the CSRF cookie (`Max-Age=0`, same Path and Domain). */
  clearCookies(res: unknown): void {
    const names = this.settings.cookies.names;
    const attrs = { ...this.cookieAttributes(this.settings.cookies.httpOnly), maxAgeSeconds: 0 };
    for (const name of [names.access, names.id, names.refresh]) appendResponseHeader(res, 'Set-Cookie', serializeCookie(name, '', attrs));
    appendResponseHeader(res, 'Set-Cookie', serializeCookie(CognitoSessionService.CSRF_COOKIE, '', { ...attrs, httpOnly: false }));
  }

  /**
   * Logs the caller out: revokes the request's refresh token with Cognito `RevokeToken` (when
   * there is one and its client is known) and clears the cookies. Revocation failures are
   * reported by the returned promise after the cookies are cleared.
   * @param clientId the client the refresh token was issued to; default the first configured client
   */
  async logout(req: RequestHeadersLike, res: unknown, clientId: string = this.settings.clientIds[0]): Promise<void> {
    const { refresh } = extractTokens(req, this.settings);
    if (this.settings.cookies.enabled) this.clearCookies(res);
    if (refresh) await this.refresher.revoke(refresh, clientId);
  }

  private cookieAttributes(httpOnly: boolean): CookieAttributes {
    const c = this.settings.cookies;
    return { httpOnly, secure: c.secure, sameSite: c.sameSite, maxAgeSeconds: c.maxAgeSeconds, domain: c.domain };
  }
}
