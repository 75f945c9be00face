import type { LoggerService } from '@nestjs/common';
import { AuthUnavailableError, CognitoAuthError, RefreshFailedError } from '../errors/cognito-auth.errors.js';

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

/** What a failed Cognito call means for the caller. */
export type CognitoFailure = 'refused' | 'unavailable';

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** Whether Cognito refused the token (401) or could not answer (503). */
export function classifyCognitoError(err: unknown): CognitoFailure {
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
export function safeErrorName(err: unknown): string {
  if (!err || typeof err !== 'object') return 'UnknownError';
  const e = err as ErrorLike;
  const name =
    typeof e.name === 'string' && /^[A-Za-z]{1,80}$/.test(e.name) && /(Exception|Error|Fault|Timeout)$/.test(e.name)
      ? e.name
      : 'UnknownError';
  const code = typeof e.code === 'string' && /^E[A-Z_]{2,30}$/.test(e.code) ? e.code : undefined;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  return [name, code, status !== undefined ? `HTTP ${status}` : undefined].filter(Boolean).join(' ');
}

/**
 * Runs one call under an overall deadline, SDK retries included: the signal aborts the request
 * when `timeoutMs` passes, and the promise rejects with a `TimeoutError` then even if the request
 * does not notice the abort.
 */
export async function withDeadline<T>(operation: string, timeoutMs: number, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const timeout = Object.assign(new Error(`${operation} timed out`), { name: 'TimeoutError' });
      controller.abort(timeout);
      reject(timeout);
    }, timeoutMs);
  });
  try {
    return await Promise.race([send(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** How `callCognito` bounds a call and answers its failures. */
export interface CognitoCallOptions {
  /** The overall deadline, SDK retries included. */
  readonly timeoutMs: number;
  /** `Retry-After` of the 503 answered when Cognito cannot answer. */
  readonly retryAfterSeconds: number;
  /** Where failures are logged, by error name only. */
  readonly logger: Pick<LoggerService, 'warn' | 'error'>;
  /** What Cognito refuses, for the log line. Default `refresh token`. */
  readonly subject?: string;
}

/**
 * Runs one SDK call under an overall deadline (it is aborted when the deadline passes) and maps
 * every failure to `RefreshFailedError` (Cognito refused) or `AuthUnavailableError` (Cognito could
 * not answer). A `CognitoAuthError` thrown by `send` passes through.
 */
export async function callCognito<T>(
  operation: string,
  send: (abortSignal: AbortSignal) => Promise<T>,
  options: CognitoCallOptions,
): Promise<T> {
  try {
    return await withDeadline(operation, options.timeoutMs, send);
  } catch (err) {
    if (err instanceof CognitoAuthError) throw err;
    const name = safeErrorName(err);
    if (classifyCognitoError(err) === 'refused') {
      options.logger.warn(`Cognito ${operation} refused the ${options.subject ?? 'refresh token'}: ${name}`);
      throw new RefreshFailedError();
    }
    options.logger.error(`Cognito ${operation} unavailable: ${name}`);
    throw new AuthUnavailableError('Cognito is temporarily unavailable', options.retryAfterSeconds);
  }
}
