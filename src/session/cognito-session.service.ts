import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { TokenRefreshService } from '../tokens/token-refresh.service.js';
import type { TokenSource } from '../auth/authenticator.types.js';
import { TokenExpiredError } from '../errors/cognito-auth.errors.js';
import { CognitoRevocationService } from '../shared-state/cognito-revocation.service.js';
import { JwtValidationService } from '../tokens/jwt-validation.service.js';
import type { CognitoAccessTokenClaims, CognitoIdTokenClaims, RefreshedTokens, VerifiedTokens } from '../tokens/token.types.js';
import { type CookieAttributes, CSRF_COOKIE, serializeCookie } from './cookies.js';
import { checkCsrf } from './csrf.js';
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
    private readonly jwt: JwtValidationService,
    private readonly revocation: CognitoRevocationService,
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
   * Logs the caller out. With CSRF on and cookie-borne tokens the request must pass the CSRF check
   * first (403 `csrf_failed`, even on a `@Public()` route: logout is an unsafe request like any
   * other). Then the cookies are cleared, the session of the tokens sent is recorded as revoked (a
   * signed-out token would otherwise verify offline until it expires: 401 `token_revoked`), and
   * the refresh token is revoked at Cognito with the client that issued it (the client of the
   * tokens sent with it, else each configured client in turn). Revocation failures at Cognito are
   * reported by the returned promise after the cookies are cleared and the session recorded.
   */
  async logout(req: RequestHeadersLike & { method?: string }, res: unknown): Promise<void> {
    const tokens = extractTokens(req, this.settings);
    if (this.settings.csrf && tokens.fromCookies)
      checkCsrf({ method: req.method ?? 'POST', headers: req.headers, cookies: tokens.cookies });
    if (this.settings.cookies.enabled) this.clearCookies(res);
    const claims = await this.claimsOf(tokens.access, tokens.id);
    if (tokens.refresh) {
      await this.refresher.revoke(tokens.refresh, { claims });
    } else {
      for (const c of [claims.access, claims.id]) if (c) await this.revocation.revokeSession(c);
    }
  }

  /** The verified claims of the tokens sent (expired ones included); a token that fails verification is left out. */
  private async claimsOf(access: string | undefined, id: string | undefined): Promise<VerifiedTokens> {
    const [a, i] = await Promise.all([
      access ? this.jwt.verifyAccessToken(access).catch(expiredClaims) : undefined,
      id ? this.jwt.verifyIdToken(id).catch(expiredClaims) : undefined,
    ]);
    return { access: a as CognitoAccessTokenClaims | undefined, id: i as CognitoIdTokenClaims | undefined };
  }

  private cookieAttributes(httpOnly: boolean): CookieAttributes {
    const c = this.settings.cookies;
    return { httpOnly, secure: c.secure, sameSite: c.sameSite, maxAgeSeconds: c.maxAgeSeconds, domain: c.domain };
  }
}

function expiredClaims(err: unknown): Readonly<Record<string, unknown>> | undefined {
  return err instanceof TokenExpiredError ? err.claims : undefined;
}
