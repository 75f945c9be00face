import { HttpException } from '@nestjs/common';

/** Every `code` the library answers with (the README lists each with its status). */
export const COGNITO_AUTH_ERROR_CODES = [
  'token_missing',
  'token_invalid',
  'token_expired',
  'token_mismatch',
  'refresh_failed',
  'user_not_registered',
  'forbidden_group',
  'forbidden_scope',
  'csrf_failed',
  'auth_unavailable',
  'token_revoked',
  'forbidden_claims',
  'forbidden_caller',
  'invalid_credentials',
  'user_not_confirmed',
  'password_reset_required',
  'code_mismatch',
  'code_expired',
  'invalid_password',
  'invalid_state',
  'username_exists',
  'limit_exceeded',
] as const;

/** The machine-readable `code` of every failure the library answers. */
export type CognitoAuthErrorCode = (typeof COGNITO_AUTH_ERROR_CODES)[number];

/** The JSON body of every failure: `{ statusCode, error, code, message }`. */
export interface CognitoAuthErrorBody {
  statusCode: number;
  error: string;
  code: CognitoAuthErrorCode;
  message: string;
}

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  409: 'Conflict',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** The statuses the library answers with. */
export type CognitoAuthStatus = 400 | 401 | 403 | 409 | 429 | 503;

/**
 * Base class of every error the library raises on a request. It is a Nest `HttpException`, so
 * one thrown from a service called in a controller is still answered with its status and
 * body, never as a 500. Messages never carry a token or any part of one.
 */
export abstract class CognitoAuthError extends HttpException {
  /** The `code` member of the response body. */
  readonly code: CognitoAuthErrorCode;

  protected constructor(status: CognitoAuthStatus, code: CognitoAuthErrorCode, message: string) {
    const body: CognitoAuthErrorBody = { statusCode: status, error: REASON[status], code, message };
    super(body, status);
    this.code = code;
    this.name = new.target.name;
  }

  /** The response body of this error. */
  toBody(): CognitoAuthErrorBody {
    return this.getResponse() as CognitoAuthErrorBody;
  }
}

/** Which token a failure is about. */
export type TokenKind = 'access' | 'id' | 'refresh';

/** 401 `token_missing`: no token on a protected route, or one of two required tokens absent. */
export class TokenMissingError extends CognitoAuthError {
  /** The required tokens that were not sent; empty when none was sent at all. */
  readonly missing: readonly TokenKind[];
  /** True when no token of any kind came with the request. */
  readonly noTokenAtAll: boolean;

  constructor(missing: readonly TokenKind[], noTokenAtAll: boolean, message?: string) {
    super(401, 'token_missing', message ?? describeMissing(missing));
    this.missing = missing;
    this.noTokenAtAll = noTokenAtAll;
  }
}

function describeMissing(missing: readonly TokenKind[]): string {
  if (missing.length === 0) return 'Authentication token missing';
  const names = missing.map((k) => (k === 'access' ? 'access token' : k === 'id' ? 'ID token' : 'refresh token'));
  return `Missing ${names.join(' and ')}`;
}

/** 401 `token_invalid`: bad signature, algorithm, issuer, client, token_use, shape or length. */
export class TokenInvalidError extends CognitoAuthError {
  constructor(message = 'Token is invalid') {
    super(401, 'token_invalid', message);
  }
}

/**
 * 401 `token_expired`: the token passed every check but its expiry. `claims` holds the verified
 * claims of the expired token (for refresh); it is not enumerable so it is never serialised.
 */
export class TokenExpiredError extends CognitoAuthError {
  declare readonly claims: Readonly<Record<string, unknown>> | undefined;

  constructor(message = 'Token has expired', claims?: Readonly<Record<string, unknown>>) {
    super(401, 'token_expired', message);
    Object.defineProperty(this, 'claims', { value: claims, enumerable: false });
  }
}

/** 401 `token_mismatch`: ID and access token of different users, clients or pools, or a bad `at_hash`. */
export class TokenMismatchError extends CognitoAuthError {
  constructor(message = 'ID token and access token do not belong together') {
    super(401, 'token_mismatch', message);
  }
}

/** 401 `refresh_failed`: Cognito refused the refresh token. */
export class RefreshFailedError extends CognitoAuthError {
  constructor(message = 'Cognito refused the refresh token') {
    super(401, 'refresh_failed', message);
  }
}

/** 403 `user_not_registered`: no local user and auto-create is off. */
export class UserNotRegisteredError extends CognitoAuthError {
  constructor(message = 'No local user is registered for this identity') {
    super(403, 'user_not_registered', message);
  }
}

/** 403 `forbidden_group`: the caller is in none of the groups `@Groups` asks for. */
export class ForbiddenGroupError extends CognitoAuthError {
  constructor(message = 'Caller is not in a required group') {
    super(403, 'forbidden_group', message);
  }
}

/** 403 `forbidden_scope`: the access token lacks a scope `@Scopes` asks for. */
export class ForbiddenScopeError extends CognitoAuthError {
  constructor(message = 'Access token lacks a required scope') {
    super(403, 'forbidden_scope', message);
  }
}

/** 401 `token_revoked`: the session or user was signed out (logout, admin sign-out, or an online check). */
export class TokenRevokedError extends CognitoAuthError {
  constructor(message = 'Token has been revoked') {
    super(401, 'token_revoked', message);
  }
}

/** 403 `forbidden_claims`: the app's `validate(tokens, info)` hook refused the caller. */
export class ForbiddenClaimsError extends CognitoAuthError {
  constructor(message = "Caller does not meet this application's claim rules") {
    super(403, 'forbidden_claims', message);
  }
}

/** 403 `forbidden_caller`: a machine token on a route for users, or a user on a route for machines. */
export class ForbiddenCallerError extends CognitoAuthError {
  constructor(message = 'This kind of caller may not use this route') {
    super(403, 'forbidden_caller', message);
  }
}

/** 403 `csrf_failed`: a cookie-authenticated unsafe request without the matching CSRF token. */
export class CsrfFailedError extends CognitoAuthError {
  constructor(message = 'CSRF token missing or wrong') {
    super(403, 'csrf_failed', message);
  }
}

/** 503 `auth_unavailable`: the JWKS, Cognito or the user database cannot be reached. */
export class AuthUnavailableError extends CognitoAuthError {
  /** Seconds for the `Retry-After` header. */
  readonly retryAfterSeconds: number;

  constructor(message = 'Authentication is temporarily unavailable', retryAfterSeconds = 5) {
    super(503, 'auth_unavailable', message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** 401 `invalid_credentials`: wrong user name or password (never says which). */
export class InvalidCredentialsError extends CognitoAuthError {
  constructor(message = 'Incorrect username or password') {
    super(401, 'invalid_credentials', message);
  }
}

/** 403 `user_not_confirmed`: the password was right but the sign-up is not confirmed yet. */
export class UserNotConfirmedError extends CognitoAuthError {
  constructor(message = 'The user is not confirmed') {
    super(403, 'user_not_confirmed', message);
  }
}

/** 403 `password_reset_required`: an administrator asked for a new password. */
export class PasswordResetRequiredError extends CognitoAuthError {
  constructor(message = 'A password reset is required') {
    super(403, 'password_reset_required', message);
  }
}

/** 400 `code_mismatch`: a confirmation, reset or MFA code is wrong. */
export class CodeMismatchError extends CognitoAuthError {
  constructor(message = 'The code is wrong') {
    super(400, 'code_mismatch', message);
  }
}

/** 400 `code_expired`: a confirmation or reset code has expired (or was used). */
export class CodeExpiredError extends CognitoAuthError {
  constructor(message = 'The code has expired') {
    super(400, 'code_expired', message);
  }
}

/** 400 `invalid_password`: the new password breaks the pool's policy (Cognito's message says how). */
export class InvalidPasswordError extends CognitoAuthError {
  constructor(message = 'The password does not meet the password policy') {
    super(400, 'invalid_password', message);
  }
}

/** 400 `invalid_state`: a forged or expired challenge session, OAuth state or PKCE verifier. */
export class InvalidStateError extends CognitoAuthError {
  constructor(message = 'The sign-in state is invalid or has expired') {
    super(400, 'invalid_state', message);
  }
}

/** 409 `username_exists`: sign-up with a user name that is taken. */
export class UsernameExistsError extends CognitoAuthError {
  constructor(message = 'The username is taken') {
    super(409, 'username_exists', message);
  }
}

/** 429 `limit_exceeded`: Cognito throttled a user-initiated flow; try again after `Retry-After`. */
export class LimitExceededError extends CognitoAuthError {
  /** Seconds for the `Retry-After` header. */
  readonly retryAfterSeconds: number;

  constructor(message = 'Too many attempts; try again later', retryAfterSeconds = 5) {
    super(429, 'limit_exceeded', message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Thrown at start-up for a bad or missing setting. The message names the environment variable
 * when the value came from the environment, the option otherwise.
 */
export class CognitoConfigError extends Error {
  /** The option or environment variable at fault. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(`nest-cognito-auth: ${setting}: ${message}`);
    this.name = 'CognitoConfigError';
    this.setting = setting;
  }
}

const KNOWN_CODES: ReadonlySet<string> = new Set<string>(COGNITO_AUTH_ERROR_CODES);

/**
 * True for an error raised by this library, recognised by its `code` and status rather than by
 * `instanceof` alone, so that errors from a CommonJS and an ESM copy of the package loaded into
 * one app are both recognised.
 */
export function isCognitoAuthError(value: unknown): value is CognitoAuthError {
  if (value instanceof CognitoAuthError) return true;
  const candidate = value as { code?: unknown; getStatus?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.code === 'string' &&
    KNOWN_CODES.has(candidate.code) &&
    typeof candidate.getStatus === 'function'
  );
}
