import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { checkCsrf } from '../session/csrf.js';
import { extractTokens, type RequestHeadersLike } from '../session/http-tokens.extractor.js';

/**
 * CSRF on the flows' public routes once a cookie session exists: with CSRF on, an unsafe request
 * that carries token cookies must send `X-CSRF-Token` equal to the `csrf_token` cookie (403
 * `csrf_failed`), so another site cannot swap the session (a login), reset or sign it out. A
 * request with no token cookie has no session to protect and passes; the signed-in routes are
 * checked by `CognitoGuard` as well.
 */
@Injectable()
export class CognitoFlowsCsrfGuard implements CanActivate {
  constructor(@Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings) {}

  /** Throws 403 `csrf_failed` when the check fails. */
  canActivate(context: ExecutionContext): boolean {
    if (!this.settings.csrf || !this.settings.cookies.enabled) return true;
    const req = context.switchToHttp().getRequest<(RequestHeadersLike & { method?: string }) | undefined>();
    if (!req?.headers) return true;
    const tokens = extractTokens(req, this.settings);
    if (tokens.fromCookies) checkCsrf({ method: req.method, headers: req.headers, cookies: tokens.cookies });
    return true;
  }
}
