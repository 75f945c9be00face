import type { LoggerService } from '@nestjs/common';
import { AuthUnavailableError, CognitoAuthError, LimitExceededError, RefreshFailedError } from '../errors/cognito-auth.errors.js';

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
    throw cognitoUnavailable(options.retryAfterSeconds);
  }
}

/** 503 `auth_unavailable`: Cognito could not answer, or the pool cannot serve the call. */
export function cognitoUnavailable(retryAfterSeconds: number): AuthUnavailableError {
  return new AuthUnavailableError('Cognito is temporarily unavailable', retryAfterSeconds);
}

// The base of the flows' and the admin service's error mappings (src/flows/flow-errors.ts,
// src/admin/admin-error.mapping.ts): what both answer alike. Each adds its own names and refusals.

/** How a failed Cognito call of a flow or of the admin service is mapped and reported. */
export interface CognitoErrorContext {
  /** `Retry-After` of the 429 and 503 answers. */
  readonly retryAfterSeconds: number;
  /** Where the failure is logged, by error name only. */
  readonly logger: Pick<LoggerService, 'warn' | 'error' | 'debug'>;
  /** Values that must never reach a response or a log (passwords, codes): removed from Cognito's messages. */
  readonly secrets?: readonly string[];
}

/**
 * Throttling, answered 429 `limit_exceeded` with `Retry-After`: Cognito's request-rate quotas
 * (`TooManyRequestsException`), its limits on a resource's operations (`LimitExceededException`)
 * and AWS's own throttling (`ThrottlingException`).
 */
export const COGNITO_THROTTLING_ERRORS: readonly string[] = Object.freeze([
  'TooManyRequestsException',
  'LimitExceededException',
  'ThrottlingException',
]);

/**
 * The pool (or the account) is set up wrongly, or one of its triggers failed: nothing the caller
 * can change, so 503 `auth_unavailable` with the error logged for the operator.
 */
export const COGNITO_MISCONFIGURATION_ERRORS: readonly string[] = Object.freeze([
  'ResourceNotFoundException',
  'InvalidUserPoolConfigurationException',
  'UnsupportedOperationException',
  'ForbiddenException',
  'CodeDeliveryFailureException',
  'InvalidEmailRoleAccessPolicyException',
  'InvalidSmsRoleAccessPolicyException',
  'InvalidSmsRoleTrustRelationshipException',
  'InvalidLambdaResponseException',
  'UnexpectedLambdaException',
]);

/** The names a mapping answers by name alone, whatever else the error carries. */
export interface CognitoErrorSets {
  /** 429 `limit_exceeded`. */
  readonly throttling: ReadonlySet<string>;
  /** 503 `auth_unavailable`, logged as an error. */
  readonly misconfigured: ReadonlySet<string>;
}

/** The shared throttling and misconfiguration names, with a mapping's own added. */
export function cognitoErrorSets(own: { throttling?: readonly string[]; misconfigured?: readonly string[] } = {}): CognitoErrorSets {
  return {
    throttling: new Set([...COGNITO_THROTTLING_ERRORS, ...(own.throttling ?? [])]),
    misconfigured: new Set([...COGNITO_MISCONFIGURATION_ERRORS, ...(own.misconfigured ?? [])]),
  };
}

/**
 * Maps a failed call the way every mapping does: throttling 429 `limit_exceeded` (a warning);
 * Cognito unreachable or no real answer (`classifyCognitoError`), or a misconfigured pool, 503
 * `auth_unavailable` (an error); anything else is a refusal Cognito answered (logged at debug),
 * which `refuse` maps by the error's name. `label` begins every log line: it names the call and
 * the error (`safeErrorName`), never Cognito's message, which may quote a value of the request.
 */
export function mapCognitoFailure(
  err: unknown,
  label: string,
  ctx: CognitoErrorContext,
  sets: CognitoErrorSets,
  refuse: (name: string) => Error,
): Error {
  const name = cognitoErrorName(err);
  if (sets.throttling.has(name)) {
    ctx.logger.warn(`${label} (throttled)`);
    return new LimitExceededError(undefined, ctx.retryAfterSeconds);
  }
  if (classifyCognitoError(err) === 'unavailable' || sets.misconfigured.has(name)) return unavailableFailure(label, ctx);
  ctx.logger.debug?.(label);
  return refuse(name);
}

/** 503 `auth_unavailable` for a call Cognito could not answer or the pool cannot serve, logged as an error. */
export function unavailableFailure(label: string, ctx: CognitoErrorContext): AuthUnavailableError {
  ctx.logger.error(`${label} (unavailable or misconfigured)`);
  return cognitoUnavailable(ctx.retryAfterSeconds);
}

/** The error's `name` as it is (for matching, not for logs: see `safeErrorName`), or `''`. */
export function cognitoErrorName(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

/**
 * Cognito's message for the client (its password policy message, a trigger's refusal), with every
 * secret the request carried removed, control characters dropped and the length capped.
 */
export function scrubMessage(err: unknown, secrets: readonly string[] | undefined, fallback: string): string {
  const raw = (err as { message?: unknown } | null)?.message;
  if (typeof raw !== 'string') return fallback;
  let message = raw.replace(/\p{Cc}/gu, ' ').trim();
  for (const secret of secrets ?? []) {
    if (secret.length > 0) message = message.split(secret).join('***');
  }
  message = message.slice(0, 300);
  return message === '' ? fallback : message;
}
