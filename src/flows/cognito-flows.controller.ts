import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res, type Type, UseFilters, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import { InvalidStateError, isCognitoAuthError } from '../errors/cognito-auth.errors.js';
import { AccessToken, CognitoClaims } from '../guard/cognito-claims.decorator.js';
import { Public } from '../guard/access.decorators.js';
import { CognitoGuard } from '../guard/cognito.guard.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { CognitoSessionService, type SignInBody } from '../session/cognito-session.service.js';
import { parseCookies, serializeCookie } from '../session/cookies.js';
import { appendResponseHeader, setResponseHeader } from '../session/http-response.js';
import type { VerifiedTokens } from '../tokens/token.types.js';
import { CognitoAuthFlowService } from './cognito-auth-flow.service.js';
import { challengeInput, confirmInput, loginInput, passwordChangeInput, resetInput, signUpInput, usernameInput } from './flow-input.js';
import type { ChallengeResult, FlowResult, FlowUser, SignUpResult } from './flow.types.js';
import { CognitoFlowsCsrfGuard } from './flows-csrf.guard.js';
import { CognitoFlowsExceptionFilter } from './flows-exception.filter.js';
import { CognitoFlowsThrottleGuard } from './flows-throttle.guard.js';
import { OAUTH_COOKIE } from './hosted-ui.js';

/** The body of a sign-in: the user, and the tokens too when cookies are off. */
export type SignedInResponse = { status: 'signed_in'; user: FlowUser } & Partial<SignInBody>;
/** The body of `POST login` and `POST challenge`. */
export type FlowResponse = SignedInResponse | ChallengeResult;

interface HttpRequest {
  readonly method?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

const OAUTH_ERROR = /^[a-z_]{1,40}$/;

/** A run of characters a `Location` header cannot carry as they are: spaces, controls, non-ASCII. */
const NOT_IN_HEADER = /[^\x21-\x7e]+/g;

/**
 * `url` as a `Location` value: what a header cannot carry percent-encoded as UTF-8, `%XX` escapes
 * kept (so Express's redirect, which encodes too, does not encode them twice). `/café` is `/caf%C3%A9`
 * on every platform (Fastify's redirect sends the raw bytes, and never answers when Node refuses them).
 */
function locationHeader(url: string): string {
  return url.replace(NOT_IN_HEADER, (run) =>
    Array.from(Buffer.from(run, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/**
 * The flows as JSON endpoints (registered under `flows.path` by `CognitoFlowsControllerModule`).
 * Every route is `@Public()` except `password` and `logout/all`, which need a signed-in caller; CSRF
 * applies to unsafe requests once a cookie session exists; @nestjs/throttler limits the routes
 * when the app imports `ThrottlerModule`; every failure is a JSON error, never a 500.
 */
@UseGuards(CognitoFlowsThrottleGuard, CognitoFlowsCsrfGuard)
@UseFilters(CognitoFlowsExceptionFilter)
export class CognitoFlowsControllerBase {
  constructor(
    protected readonly flows: CognitoAuthFlowService,
    protected readonly session: CognitoSessionService,
    @Inject(COGNITO_AUTH_SETTINGS) protected readonly settings: CognitoAuthSettings,
    protected readonly adapterHost: HttpAdapterHost,
  ) {}

  /** `POST login {username, password, srp?}`: 200 signed in (cookies, or tokens in the body) or a challenge. */
  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: unknown, @Res({ passthrough: true }) res: unknown): Promise<FlowResponse> {
    return this.respond(res, await this.flows.login(loginInput(body)));
  }

  /** `POST challenge {session, challenge, answers}`: 200 signed in or the next challenge. */
  @Public()
  @Post('challenge')
  @HttpCode(200)
  async challenge(@Body() body: unknown, @Res({ passthrough: true }) res: unknown): Promise<FlowResponse> {
    return this.respond(res, await this.flows.respondToChallenge(challengeInput(body)));
  }

  /** `POST signup {username, password, attributes}`: 201 `{status: 'confirmation_required', delivery}`. */
  @Public()
  @Post('signup')
  @HttpCode(201)
  signUp(@Body() body: unknown): Promise<SignUpResult> {
    return this.flows.signUp(signUpInput(body));
  }

  /** `POST confirm {username, code}`: 204. */
  @Public()
  @Post('confirm')
  @HttpCode(204)
  async confirm(@Body() body: unknown): Promise<void> {
    await this.flows.confirmSignUp(confirmInput(body));
  }

  /** `POST resend {username}`: 204, whether or not the user exists. */
  @Public()
  @Post('resend')
  @HttpCode(204)
  async resend(@Body() body: unknown): Promise<void> {
    await this.flows.resendConfirmationCode(usernameInput(body));
  }

  /** `POST forgot {username}`: 202, whether or not the user exists. */
  @Public()
  @Post('forgot')
  @HttpCode(202)
  async forgot(@Body() body: unknown): Promise<void> {
    await this.flows.forgotPassword(usernameInput(body));
  }

  /** `POST reset {username, code, password}`: 204. */
  @Public()
  @Post('reset')
  @HttpCode(204)
  async reset(@Body() body: unknown): Promise<void> {
    await this.flows.confirmForgotPassword(resetInput(body));
  }

  /** `POST password {oldPassword, newPassword}` (signed in): 204. */
  @Post('password')
  @UseGuards(CognitoGuard)
  @HttpCode(204)
  async password(@Body() body: unknown, @AccessToken() accessToken: string | undefined): Promise<void> {
    await this.flows.changePassword({ ...passwordChangeInput(body), accessToken: accessToken ?? '' });
  }

  /** `POST logout`: 204; clears the cookies and revokes the session (a refresh token Cognito no longer knows counts as done). */
  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: HttpRequest, @Res({ passthrough: true }) res: unknown): Promise<void> {
    try {
      await this.session.logout(req, res);
    } catch (err) {
      if (!isCognitoAuthError(err) || err.code !== 'refresh_failed') throw err;
    }
  }

  /** `POST logout/all` (signed in): 204; signs the user out of every session. */
  @Post('logout/all')
  @UseGuards(CognitoGuard)
  @HttpCode(204)
  async logoutAll(
    @AccessToken() accessToken: string | undefined,
    @CognitoClaims() claims: VerifiedTokens,
    @Res({ passthrough: true }) res: unknown,
  ): Promise<void> {
    await this.flows.globalSignOut({ accessToken: accessToken ?? '', sub: claims.access?.sub ?? claims.id?.sub ?? '' });
    if (this.settings.cookies.enabled) this.session.clearCookies(res);
  }

  /** `GET hosted?provider=`: 302 to the hosted UI, with the signed `cognito_oauth` cookie. */
  @Public()
  @Get('hosted')
  hosted(@Query('provider') provider: unknown, @Res() res: unknown): void {
    const start = this.flows.authorizeUrl(typeof provider === 'string' && provider !== '' ? provider : undefined);
    this.setOAuthCookie(res, start.cookie, start.maxAgeSeconds);
    setResponseHeader(res, 'Cache-Control', 'no-store');
    this.adapterHost.httpAdapter.redirect(res, 302, start.url);
  }

  /**
   * `GET callback?code&state`: 302 to `flows.hostedUi.afterLogin` (default `/`), signed in. With cookies
   * on, the session cookies ride on the redirect. With cookies off, the 302 carries the body `POST login`
   * answers (`{status: 'signed_in', user, accessToken, idToken, refreshToken, expiresIn}`, `Cache-Control:
   * no-store`): a client that does not follow redirects reads the tokens there, a browser that follows it
   * drops them, and they never go into a URL. A refused callback (an `error` query, a bad state) is a JSON error.
   */
  @Public()
  @Get('callback')
  async callback(@Query() query: Record<string, unknown>, @Req() req: HttpRequest, @Res() res: unknown): Promise<void> {
    const header = req.headers['cookie'];
    const cookie = parseCookies(Array.isArray(header) ? header.join('; ') : header, new Set([OAUTH_COOKIE])).get(OAUTH_COOKIE);
    this.setOAuthCookie(res, '', 0); // one use, whatever happens next
    if (query['error'] !== undefined) {
      const reason = typeof query['error'] === 'string' && OAUTH_ERROR.test(query['error']) ? query['error'] : 'error';
      throw new InvalidStateError(`The hosted UI did not sign the user in (${reason})`);
    }
    const signedIn = await this.flows.callback({ code: String(query['code'] ?? ''), state: String(query['state'] ?? ''), cookie });
    const afterLogin = locationHeader(this.settings.flows?.hostedUi?.afterLogin ?? '/');
    const tokens = this.session.signIn(res, signedIn.tokens); // sets Cache-Control: no-store
    if (tokens) {
      // The adapter's redirect() writes a body of its own: set Location, then answer 302 with the JSON body.
      setResponseHeader(res, 'Location', afterLogin);
      const body: SignedInResponse = { status: 'signed_in', user: signedIn.user, ...tokens };
      this.adapterHost.httpAdapter.reply(res, body, 302);
      return;
    }
    this.adapterHost.httpAdapter.redirect(res, 302, afterLogin);
  }

  /** A sign-in's cookies (or tokens for the body), or the challenge as it is. */
  protected respond(res: unknown, result: FlowResult): FlowResponse {
    if (result.status === 'challenge') {
      setResponseHeader(res, 'Cache-Control', 'no-store');
      return result;
    }
    const body = this.session.signIn(res, result.tokens);
    return { status: 'signed_in', user: result.user, ...(body ?? {}) };
  }

  private setOAuthCookie(res: unknown, value: string, maxAgeSeconds: number): void {
    const c = this.settings.cookies;
    appendResponseHeader(
      res,
      'Set-Cookie',
      serializeCookie(OAUTH_COOKIE, value, { httpOnly: true, secure: c.secure, sameSite: 'lax', maxAgeSeconds, domain: c.domain }),
    );
  }
}

/**
 * The flows controller under `path` (default `auth`): a subclass of `CognitoFlowsControllerBase`
 * carrying the route prefix, so each app chooses its own.
 */
export function createCognitoFlowsController(path = 'auth'): Type<CognitoFlowsControllerBase> {
  @Controller(path)
  class CognitoFlowsController extends CognitoFlowsControllerBase {}
  return CognitoFlowsController;
}
