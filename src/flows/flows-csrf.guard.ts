import { BadRequestException, type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { checkCsrf } from '../session/csrf.js';
import { extractTokens, type RequestHeadersLike } from '../session/http-tokens.extractor.js';

/** A JSON media type: `application/json`, `application/<x>+json`, with any parameters. */
const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * Cross-site protection of the flows' routes. Bodies must be JSON: a page on another site can
 * post a form (urlencoded, multipart or text/plain) without asking, but not JSON, so no form can
 * sign a visitor in to someone else's account (login CSRF) or start a reset. And CSRF once a
 * cookie session exists: with CSRF on, an unsafe request
 * that carries token cookies must send `X-CSRF-Token` equal to the `csrf_token` cookie (403
 * `csrf_failed`), so another site cannot swap the session (a login), reset or sign it out. A
 * request with no token cookie has no session to protect and passes; the signed-in routes are
 * checked by `CognitoGuard` as well.
 */
@Injectable()
export class CognitoFlowsCsrfGuard implements CanActivate {
  constructor(@Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings) {}

  /** Throws 400 for a body that is not JSON, 403 `csrf_failed` when the CSRF check fails. */
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<(RequestHeadersLike & { method?: string }) | undefined>();
    if (!req?.headers) return true;
    const type = req.headers['content-type'];
    if (typeof type === 'string' && type !== '' && !JSON_TYPE.test(type)) {
      throw new BadRequestException('The body must be JSON (Content-Type: application/json)');
    }
    if (!this.settings.csrf || !this.settings.cookies.enabled) return true;
    const tokens = extractTokens(req, this.settings);
    if (tokens.fromCookies) checkCsrf({ method: req.method, headers: req.headers, cookies: tokens.cookies });
    return true;
  }
}
