import { Body, Controller, HttpCode, HttpException, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  AuthUnavailableError,
  CognitoSessionService,
  COGNITO_AUTH_SETTINGS,
  type CognitoAuthSettings,
  JwtValidationService,
  Public,
  UserSyncService,
} from 'nest-cognito-auth';
import { badRequest } from '../http-errors.js';
import { CognitoLoginService } from './cognito-login.service.js';

interface Credentials {
  username: string;
  password: string;
}

function credentials(body: unknown): Credentials {
  const { username, password } = (body ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || username.trim() === '' || username.length > 128) {
    throw badRequest('username is required');
  }
  if (typeof password !== 'string' || password === '' || password.length > 256) {
    throw badRequest('password is required');
  }
  return { username: username.trim(), password };
}

/**
 * The cookie flow's two routes. Login: Cognito password login, then the tokens go to the
 * `AccessToken` / `IdToken` / `RefreshToken` cookies (HttpOnly) and the `ACCESSTOKEN` / `IDTOKEN`
 * response headers, never to the body; the body is the synced user.
 */
@Public()
@Controller('auth')
export class AuthController {
  private readonly logger = new Logger(AuthController.name);

  constructor(
    private readonly cognito: CognitoLoginService,
    private readonly jwt: JwtValidationService,
    private readonly users: UserSyncService,
    private readonly session: CognitoSessionService,
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
  ) {}

  /** `{ "username", "password" }` → 200 `{ user, groups }`, 401 `login_failed`, 503 `auth_unavailable`. */
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: unknown, @Res({ passthrough: true }) res: Response): Promise<{ user: unknown; groups: readonly string[] }> {
    const { username, password } = credentials(body);
    try {
      const tokens = await this.cognito.login(username, password);
      // The same checks the guard applies to every later request, and the same user sync.
      const verified = await this.jwt.verifyPair(tokens.idToken, tokens.accessToken);
      const user = this.users.enabled ? await this.users.resolveUser(verified) : { sub: verified.id.sub };
      this.session.signIn(res, tokens);
      return { user, groups: verified.id['cognito:groups'] ?? [] };
    } catch (error) {
      if (error instanceof AuthUnavailableError) res.setHeader('Retry-After', String(error.retryAfterSeconds));
      if (error instanceof HttpException) throw error; // 401 login_failed, 503, or the library's own answers
      this.logger.error(`Login failed unexpectedly (${error instanceof Error ? error.name : typeof error})`);
      throw new AuthUnavailableError('Sign-in is temporarily unavailable', this.settings.retryAfterSeconds);
    }
  }

  /** Revokes the refresh token at Cognito and clears the cookies: 204 either way. */
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    try {
      await this.session.logout(req, res);
    } catch (error) {
      // The cookies are cleared already; a refresh token that could not be revoked expires on its own.
      this.logger.warn(`Refresh token not revoked (${error instanceof Error ? error.name : typeof error})`);
    }
  }
}
