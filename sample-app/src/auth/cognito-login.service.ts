import { HttpException, HttpStatus, Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import {
  AuthUnavailableError,
  COGNITO_AUTH_SETTINGS,
  type CognitoAuthSettings,
  computeSecretHash,
  type SessionTokens,
} from 'nest-cognito-auth';

/** 401 for a refused login, in the library's body shape `{ statusCode, error, code, message }`. */
export class LoginFailedError extends HttpException {
  constructor(message = 'Incorrect username or password', code = 'login_failed') {
    super({ statusCode: 401, error: 'Unauthorized', code, message }, HttpStatus.UNAUTHORIZED);
  }
}

/** Cognito's answers that mean "these credentials do not get you in" (cognito-local says InvalidPasswordException). */
const REFUSED = new Set([
  'NotAuthorizedException',
  'InvalidPasswordException',
  'UserNotFoundException',
  'UserNotConfirmedException',
  'PasswordResetRequiredException',
]);

/**
 * Password login against Cognito: `InitiateAuth` with `USER_PASSWORD_AUTH` (the app client must
 * allow it), with `SECRET_HASH` when the client has a secret. Uses the library's resolved settings
 * (pool, client, secret, region, endpoint, timeout), so it talks to whatever the guard trusts.
 */
@Injectable()
export class CognitoLoginService implements OnModuleDestroy {
  private readonly logger = new Logger(CognitoLoginService.name);
  private readonly client: CognitoIdentityProviderClient;

  constructor(@Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings) {
    this.client = new CognitoIdentityProviderClient({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      maxAttempts: 2,
    });
  }

  /** The tokens of a successful login; throws {@link LoginFailedError} (401) or `AuthUnavailableError` (503). */
  async login(username: string, password: string): Promise<Required<SessionTokens>> {
    const clientId = this.settings.clientIds[0];
    const secret = this.settings.clientSecrets.get(clientId);
    let result;
    try {
      result = await this.client.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: clientId,
          AuthParameters: {
            USERNAME: username,
            PASSWORD: password,
            ...(secret ? { SECRET_HASH: computeSecretHash(username, clientId, secret) } : {}),
          },
        }),
        { abortSignal: AbortSignal.timeout(this.settings.cognitoTimeoutMs) },
      );
    } catch (error) {
      const name = error instanceof Error ? error.name : typeof error;
      const code = (error as { code?: unknown } | undefined)?.code;
      if (REFUSED.has(name)) {
        this.logger.log(`Login refused (${name})`);
        throw new LoginFailedError();
      }
      // Throttling, network, timeouts, or a misconfigured client: the name only, never Cognito's message.
      this.logger.warn(`Login could not reach a verdict (${name}${typeof code === 'string' ? ` ${code}` : ''})`);
      throw new AuthUnavailableError('Sign-in is temporarily unavailable', this.settings.retryAfterSeconds);
    }
    const tokens = result.AuthenticationResult;
    if (result.ChallengeName || !tokens?.AccessToken || !tokens.IdToken || !tokens.RefreshToken) {
      this.logger.log(`Login needs a challenge this sample does not handle (${result.ChallengeName ?? 'no tokens'})`);
      throw new LoginFailedError(`Cognito asks for ${result.ChallengeName ?? 'another step'}, which this sample does not handle`, 'login_challenge');
    }
    return { accessToken: tokens.AccessToken, idToken: tokens.IdToken, refreshToken: tokens.RefreshToken };
  }

  onModuleDestroy(): void {
    this.client.destroy();
  }
}
