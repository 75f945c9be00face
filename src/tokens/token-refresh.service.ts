import { createHash, createHmac } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  type AuthenticationResultType,
  CognitoIdentityProviderClient,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
  RevokeTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { VerifiedTokenCache } from './verified-token.cache.js';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import { AuthUnavailableError, CognitoAuthError, RefreshFailedError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import type { RefreshedTokens } from './token.types.js';

/** What `TokenRefreshService.refresh()` needs. */
export interface RefreshInput {
  /** The refresh token the client sent. */
  readonly refreshToken: string;
  /** The app client id of the expired token (`client_id` / `aud`). */
  readonly clientId: string;
  /**
   * The internal user name of the expired token (`cognito:username` / `username`); needed for
   * `SECRET_HASH` when the client has a secret.
   */
  readonly username?: string;
}

/**
 * `SECRET_HASH` of a Cognito app client with a secret:
 * `base64(HMAC-SHA256(key = clientSecret, message = username + clientId))`.
 */
export function computeSecretHash(username: string, clientId: string, clientSecret: string): string {
  return createHmac('sha256', clientSecret).update(username + clientId, 'utf8').digest('base64');
}

/** SDK attempts per call (the first one and one retry), all within `cognitoTimeoutMs`. */
const MAX_ATTEMPTS = 2;

/** Cognito errors that mean "this refresh token (or its user) is refused": 401 `refresh_failed`. */
const REFUSED = new Set([
  'NotAuthorizedException',
  'InvalidParameterException',
  'UserNotFoundException',
  'UserNotConfirmedException',
  'PasswordResetRequiredException',
  'ResourceNotFoundException',
  'RefreshTokenReuseException',
  'UnauthorizedException',
  'UnsupportedTokenTypeException',
  'UnsupportedOperationException',
  'OperationNotEnabledException',
  'InvalidUserPoolConfigurationException',
  'AccessDeniedException',
  'ForbiddenException',
  'UserLambdaValidationException',
  'TooManyFailedAttemptsException',
]);

/** Errors that mean "Cognito cannot answer now": 503 `auth_unavailable`. */
const UNAVAILABLE = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'ThrottlingException',
  'InternalErrorException',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InvalidLambdaResponseException',
  'UnexpectedLambdaException',
  'TimeoutError',
  'AbortError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

type Outcome = 'refused' | 'unavailable';

/**
 * Refreshes Cognito tokens with a refresh token (`REFRESH_TOKEN_AUTH`, or
 * `GetTokensFromRefreshToken` when refresh-token rotation is on) and revokes refresh tokens.
 * Knows nothing of HTTP requests or cookies.
 *
 * - Concurrent refreshes of one refresh token share one Cognito call.
 * - Every call, SDK retries included, ends within `cognitoTimeoutMs`.
 * - Failures are `RefreshFailedError` (401 `refresh_failed`: Cognito refused the token) or
 *   `AuthUnavailableError` (503 `auth_unavailable`: throttling, 5xx, timeouts, network); no SDK
 *   error escapes. Logs name the error only, never a token or Cognito's message.
 *
 * AWS credentials come from the SDK's default provider chain; the three operations used are
 * unsigned (`smithy.api#noAuth`), so none are needed.
 */
const RECENT_REFRESH_TTL_MS = 10_000;
const RECENT_REFRESH_ENTRIES = 1000;

function refreshKey(clientId: string, refreshToken: string): string {
  return createHash('sha256').update(clientId).update('\0').update(refreshToken).digest('base64url');
}

@Injectable()
export class TokenRefreshService implements OnModuleDestroy {
  private readonly logger = new Logger(TokenRefreshService.name);
  private readonly client: CognitoIdentityProviderClient;
  /** In-flight refreshes by sha256(clientId, refresh token); an entry lives until its call settles. */
  private readonly inFlight = new Map<string, Promise<RefreshedTokens>>();
  /**
   * Successful refreshes of the last few seconds, by the same key: requests of a storm that
   * arrive just after the call settled get its result instead of a second Cognito call (and,
   * with rotation, the old refresh token no longer works at Cognito anyway). Bounded; dropped
   * on revoke.
   */
  private readonly recent = new VerifiedTokenCache<RefreshedTokens>(RECENT_REFRESH_ENTRIES);

  constructor(@Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings) {
    const budget = settings.cognitoTimeoutMs;
    this.client = new CognitoIdentityProviderClient({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      maxAttempts: MAX_ATTEMPTS,
      // NodeHttpHandler options (shorthand). Per-attempt limits: a failed connect leaves time for
      // the retry; the overall deadline is enforced in `call()`.
      requestHandler: {
        connectionTimeout: Math.max(1, Math.ceil(budget / 2)),
        requestTimeout: budget,
        throwOnRequestTimeout: true,
      },
    });
  }

  /**
   * New access and ID tokens for a refresh token. With rotation on, also a new refresh token.
   *
   * @throws RefreshFailedError Cognito refused the refresh token (or a secret client lacks a username)
   * @throws AuthUnavailableError Cognito could not be reached or did not answer in time
   */
  refresh(input: RefreshInput): Promise<RefreshedTokens> {
    const { refreshToken, clientId } = input;
    if (typeof refreshToken !== 'string' || refreshToken.trim() === '') {
      return Promise.reject(new RefreshFailedError('No refresh token'));
    }
    if (typeof clientId !== 'string' || !this.settings.clientIds.includes(clientId)) {
      return Promise.reject(new RefreshFailedError('The token was issued to an unknown app client'));
    }
    const key = refreshKey(clientId, refreshToken);
    const running = this.inFlight.get(key);
    if (running) return running;
    const done = this.recent.get(key, Date.now());
    if (done) return Promise.resolve(done);
    const call = this.doRefresh(input)
      .then((tokens) => {
        this.recent.set(key, tokens, Date.now() + RECENT_REFRESH_TTL_MS);
        return tokens;
      })
      .finally(() => {
        if (this.inFlight.get(key) === call) this.inFlight.delete(key);
      });
    this.inFlight.set(key, call);
    return call;
  }

  /**
   * Revokes a refresh token (and the access tokens issued with it, at AWS).
   *
   * @throws RefreshFailedError Cognito refused the request
   * @throws AuthUnavailableError Cognito could not be reached or did not answer in time
   */
  async revoke(refreshToken: string, clientId: string): Promise<void> {
    if (typeof refreshToken !== 'string' || refreshToken.trim() === '') throw new RefreshFailedError('No refresh token');
    if (typeof clientId !== 'string' || clientId === '') throw new RefreshFailedError('No app client id');
    this.recent.delete(refreshKey(clientId, refreshToken));
    const secret = this.settings.clientSecrets.get(clientId);
    await this.call('RevokeToken', (abortSignal) =>
      this.client.send(
        new RevokeTokenCommand({ Token: refreshToken, ClientId: clientId, ...(secret ? { ClientSecret: secret } : {}) }),
        { abortSignal },
      ),
    );
  }

  /** Refreshes in flight now (one per refresh token, however many requests wait on it). */
  get inFlightRefreshCount(): number {
    return this.inFlight.size;
  }

  /** Recent successful refreshes kept (bounded to 1000, 10 s each). */
  get recentRefreshCount(): number {
    return this.recent.size;
  }

  /** Closes the SDK client's sockets. */
  onModuleDestroy(): void {
    this.client.destroy();
  }

  private async doRefresh({ refreshToken, clientId, username }: RefreshInput): Promise<RefreshedTokens> {
    const secret = this.settings.clientSecrets.get(clientId);
    let result: AuthenticationResultType | undefined;
    if (this.settings.refreshTokenRotation) {
      const out = await this.call('GetTokensFromRefreshToken', (abortSignal) =>
        this.client.send(
          new GetTokensFromRefreshTokenCommand({
            RefreshToken: refreshToken,
            ClientId: clientId,
            ...(secret ? { ClientSecret: secret } : {}),
          }),
          { abortSignal },
        ),
      );
      result = out.AuthenticationResult;
    } else {
      const params: Record<string, string> = { REFRESH_TOKEN: refreshToken };
      if (secret) {
        if (typeof username !== 'string' || username === '') {
          this.logger.warn('Refresh refused locally: the client has a secret but the token carries no username');
          throw new RefreshFailedError();
        }
        params.SECRET_HASH = computeSecretHash(username, clientId, secret);
      }
      const out = await this.call('InitiateAuth', (abortSignal) =>
        this.client.send(
          new InitiateAuthCommand({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: params }),
          { abortSignal },
        ),
      );
      result = out.AuthenticationResult;
    }
    const accessToken = result?.AccessToken;
    const idToken = result?.IdToken;
    if (typeof accessToken !== 'string' || accessToken === '' || typeof idToken !== 'string' || idToken === '') {
      this.logger.warn('Cognito refresh answered without an access token and an ID token');
      throw new RefreshFailedError();
    }
    const rotated = result?.RefreshToken;
    return typeof rotated === 'string' && rotated !== '' && rotated !== refreshToken
      ? { accessToken, idToken, refreshToken: rotated }
      : { accessToken, idToken };
  }

  /**
   * Runs one SDK call under the overall deadline (`cognitoTimeoutMs`, retries included) and maps
   * every failure to `RefreshFailedError` or `AuthUnavailableError`.
   */
  private async call<T>(operation: string, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const timeout = Object.assign(new Error(`${operation} timed out`), { name: 'TimeoutError' });
        controller.abort(timeout);
        reject(timeout);
      }, this.settings.cognitoTimeoutMs);
    });
    try {
      return await Promise.race([send(controller.signal), deadline]);
    } catch (err) {
      throw this.mapError(operation, err);
    } finally {
      clearTimeout(timer);
    }
  }

  private mapError(operation: string, err: unknown): CognitoAuthError {
    if (err instanceof CognitoAuthError) return err;
    const name = safeName(err);
    if (classify(err) === 'refused') {
      this.logger.warn(`Cognito ${operation} refused the refresh token: ${name}`);
      return new RefreshFailedError();
    }
    this.logger.error(`Cognito ${operation} unavailable: ${name}`);
    return new AuthUnavailableError('Cognito is temporarily unavailable', this.settings.retryAfterSeconds);
  }
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** Whether Cognito refused the token (401) or could not answer (503). */
function classify(err: unknown): Outcome {
  if (!err || typeof err !== 'object') return 'unavailable';
  const e = err as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : '';
  if (UNAVAILABLE.has(name)) return 'unavailable';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (status !== undefined && (status >= 500 || status === 429)) return 'unavailable';
  if (REFUSED.has(name)) return 'refused';
  // Cognito answers every modelled client error with 400 and an `__type`: an error the SDK
  // parsed as a client fault of a 400 is a refusal; anything else (network errors, proxies'
  // 403/404 pages, unparsable bodies, unknown shapes) means Cognito did not really answer.
  if (status === 400 && e.$fault === 'client' && /Exception$/.test(name)) return 'refused';
  return 'unavailable';
}

/** The error's name (or network code) for the log, when it looks like one; never its message. */
function safeName(err: unknown): string {
  if (!err || typeof err !== 'object') return 'UnknownError';
  const e = err as ErrorLike;
  const name = typeof e.name === 'string' && /^[A-Za-z]{1,80}$/.test(e.name) && /(Exception|Error|Fault|Timeout)$/.test(e.name) ? e.name : 'UnknownError';
  const code = typeof e.code === 'string' && /^E[A-Z_]{2,30}$/.test(e.code) ? e.code : undefined;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  return [name, code, status !== undefined ? `HTTP ${status}` : undefined].filter(Boolean).join(' ');
}
