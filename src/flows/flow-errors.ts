import { BadRequestException, HttpException, type LoggerService } from '@nestjs/common';
import {
  AuthUnavailableError,
  CodeExpiredError,
  CodeMismatchError,
  InvalidCredentialsError,
  InvalidPasswordError,
  InvalidStateError,
  isCognitoAuthError,
  LimitExceededError,
  PasswordResetRequiredError,
  UsernameExistsError,
  UserNotConfirmedError,
} from '../errors/cognito-auth.errors.js';
import { classifyCognitoError, safeErrorName } from '../tokens/cognito-errors.js';

/** The Cognito calls of the flows, as far as error mapping cares. */
export type FlowOperation =
  | 'login'
  | 'challenge'
  | 'signUp'
  | 'confirmSignUp'
  | 'resendCode'
  | 'forgotPassword'
  | 'confirmForgotPassword'
  | 'changePassword'
  | 'globalSignOut';

/** Cognito throttling of a user-initiated flow: 429 `limit_exceeded` (a transparent refresh answers 503 instead). */
const THROTTLED = new Set(['TooManyRequestsException', 'LimitExceededException', 'TooManyFailedAttemptsException', 'ThrottlingException']);

/**
 * Errors that mean the pool or the app is set up wrongly (or a trigger failed): nothing the user
 * can change, so 503 with the error logged for the operator.
 */
const MISCONFIGURED = new Set([
  'ResourceNotFoundException',
  'InvalidUserPoolConfigurationException',
  'UnsupportedOperationException',
  'AccessDeniedException',
  'ForbiddenException',
  'CodeDeliveryFailureException',
  'InvalidEmailRoleAccessPolicyException',
  'InvalidSmsRoleAccessPolicyException',
  'InvalidSmsRoleTrustRelationshipException',
  'InvalidLambdaResponseException',
  'UnexpectedLambdaException',
  'SoftwareTokenMFANotFoundException',
  'MFAMethodNotFoundException',
  'UnsupportedTokenTypeException',
]);

/** How a failure is mapped and reported. */
export interface FlowErrorContext {
  readonly retryAfterSeconds: number;
  readonly logger: Pick<LoggerService, 'warn' | 'error' | 'debug'>;
  /** Values that must never reach a response (passwords, codes): removed from Cognito's messages. */
  readonly secrets?: readonly string[];
}

/**
 * Maps a failed Cognito call of a flow to the typed error the client gets (never a 500):
 * throttling 429 `limit_exceeded`; unreachable or misconfigured 503 `auth_unavailable`; and the
 * refusals by operation, so that only `user_not_confirmed` (after a correct password),
 * `username_exists` and `password_reset_required` can tell that a user exists. Logs carry the
 * error's name, never Cognito's message (it may quote a value).
 */
export function toFlowError(operation: FlowOperation, err: unknown, ctx: FlowErrorContext): Error {
  if (isCognitoAuthError(err) || err instanceof HttpException) return err as Error;
  const name = errorName(err);
  const label = `Cognito ${operation}: ${safeErrorName(err)}`;
  if (THROTTLED.has(name)) {
    ctx.logger.warn(`${label} (throttled)`);
    return new LimitExceededError(undefined, ctx.retryAfterSeconds);
  }
  if (
    classifyCognitoError(err) === 'unavailable' ||
    MISCONFIGURED.has(name) ||
    (name === 'InvalidParameterException' && operation === 'login')
  ) {
    ctx.logger.error(`${label} (unavailable or misconfigured)`);
    return new AuthUnavailableError('Cognito is temporarily unavailable', ctx.retryAfterSeconds);
  }
  ctx.logger.debug?.(label);
  return refusal(operation, name, err, ctx);
}

/** A refusal Cognito answered (a client error), by operation. */
function refusal(operation: FlowOperation, name: string, err: unknown, ctx: FlowErrorContext): Error {
  switch (name) {
    case 'UserNotFoundException':
      return operation === 'confirmSignUp' || operation === 'confirmForgotPassword'
        ? new CodeMismatchError()
        : new InvalidCredentialsError();
    case 'NotAuthorizedException':
      return notAuthorized(operation);
    case 'UserNotConfirmedException':
      return new UserNotConfirmedError();
    case 'PasswordResetRequiredException':
      return new PasswordResetRequiredError();
    case 'CodeMismatchException':
    case 'EnableSoftwareTokenMFAException':
      return new CodeMismatchError();
    case 'ExpiredCodeException':
      return new CodeExpiredError();
    case 'InvalidPasswordException':
      // A sign-in has no password policy to break: cognito-local answers a wrong password this way.
      if (operation === 'login') return new InvalidCredentialsError();
      return new InvalidPasswordError(scrubMessage(err, ctx.secrets, 'The password does not meet the password policy'));
    case 'UsernameExistsException':
    case 'AliasExistsException':
      return new UsernameExistsError();
    case 'InvalidParameterException':
    case 'UserLambdaValidationException':
      return new BadRequestException(scrubMessage(err, ctx.secrets, 'Cognito refused a parameter of the request'));
    default:
      ctx.logger.warn(`Cognito ${operation} refused with an unexpected error: ${safeErrorName(err)}`);
      return new BadRequestException('Cognito refused the request');
  }
}

function notAuthorized(operation: FlowOperation): Error {
  switch (operation) {
    case 'challenge':
      return new InvalidStateError();
    case 'confirmSignUp':
    case 'confirmForgotPassword':
      // Cognito answers a code used twice (the user is confirmed already) this way.
      return new CodeExpiredError();
    case 'signUp':
      return new BadRequestException('Sign-up is not allowed');
    default:
      return new InvalidCredentialsError();
  }
}

function errorName(err: unknown): string {
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
