import { HttpException, type LoggerService } from '@nestjs/common';
import {
  AuthUnavailableError,
  InvalidPasswordError,
  isCognitoAuthError,
  LimitExceededError,
  UsernameExistsError,
} from '../errors/cognito-auth.errors.js';
import { scrubMessage } from '../flows/flow-errors.js';
import { classifyCognitoError, safeErrorName } from '../tokens/cognito-errors.js';
import { AdminGroupNotFoundError, AdminInvalidParameterError, AdminUserNotFoundError, isCognitoAdminError } from './admin.errors.js';

/** The Cognito calls of the admin service, as far as error mapping cares. */
export type AdminOperation =
  | 'getUser'
  | 'listUsers'
  | 'createUser'
  | 'disableUser'
  | 'enableUser'
  | 'deleteUser'
  | 'addToGroup'
  | 'removeFromGroup'
  | 'listGroups'
  | 'globalSignOut';

/** Throttling: 429 `limit_exceeded` with Retry-After (an administrator's request, like a user's flow). */
const THROTTLED = new Set(['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException']);

/**
 * The SDK found no credentials, or AWS refused them or their permissions: admin calls are signed
 * with IAM credentials (the SDK's default chain), so this is the operator's to fix.
 */
const CREDENTIALS = new Set([
  'CredentialsProviderError',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'NotAuthorizedException',
]);

/** The pool (or the account) is set up wrongly: nothing the caller can change. */
const MISCONFIGURED = new Set([
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

/** How a failure is mapped and reported. */
export interface AdminErrorContext {
  readonly retryAfterSeconds: number;
  readonly logger: Pick<LoggerService, 'warn' | 'error' | 'debug'>;
  /** Values that must never reach a response or a log (a temporary password). */
  readonly secrets?: readonly string[];
}

/**
 * Maps a failed Cognito admin call to the typed error the caller gets, never a 500: a missing
 * user 404 `user_not_found`, a missing group 404 `group_not_found`, a taken name 409
 * `username_exists`, a temporary password against the policy 400 `invalid_password`, a bad
 * argument 400 `invalid_parameter`, throttling 429 `limit_exceeded`; Cognito unreachable, missing
 * or refused IAM credentials, or a misconfigured pool 503 `auth_unavailable`. Logs carry the
 * error's name, never Cognito's message (it may quote a value).
 */
export function toAdminError(operation: AdminOperation, err: unknown, ctx: AdminErrorContext): Error {
  if (isCognitoAuthError(err) || isCognitoAdminError(err) || err instanceof HttpException) return err as Error;
  const name = errorName(err);
  const label = `Cognito admin ${operation}: ${safeErrorName(err)}`;
  if (THROTTLED.has(name)) {
    ctx.logger.warn(`${label} (throttled)`);
    return new LimitExceededError(undefined, ctx.retryAfterSeconds);
  }
  if (CREDENTIALS.has(name)) {
    ctx.logger.error(
      `${label}: admin calls need IAM credentials (the AWS SDK's default chain) allowed the cognito-idp:Admin* / ListUsers actions on the pool`,
    );
    return unavailable(ctx);
  }
  if (name === 'ResourceNotFoundException' && isGroupOperation(operation) && mentionsGroup(err)) return new AdminGroupNotFoundError();
  if (classifyCognitoError(err) === 'unavailable' || MISCONFIGURED.has(name)) {
    ctx.logger.error(`${label} (unavailable or misconfigured)`);
    return unavailable(ctx);
  }
  ctx.logger.debug?.(label);
  return refusal(operation, name, err, ctx);
}

/** A refusal Cognito answered (a client error). */
function refusal(operation: AdminOperation, name: string, err: unknown, ctx: AdminErrorContext): Error {
  switch (name) {
    case 'UserNotFoundException':
      return new AdminUserNotFoundError();
    case 'UsernameExistsException':
    case 'AliasExistsException':
      return new UsernameExistsError();
    case 'InvalidPasswordException':
      return new InvalidPasswordError(scrubMessage(err, ctx.secrets, 'The password does not meet the password policy'));
    case 'InvalidParameterException':
    case 'UnsupportedUserStateException':
    case 'UserLambdaValidationException':
    case 'PreconditionNotMetException':
      return new AdminInvalidParameterError(scrubMessage(err, ctx.secrets, 'Cognito refused a parameter of the request'));
    default:
      ctx.logger.warn(`Cognito admin ${operation} refused with an unexpected error: ${safeErrorName(err)}`);
      return new AdminInvalidParameterError('Cognito refused the request');
  }
}

function unavailable(ctx: AdminErrorContext): AuthUnavailableError {
  return new AuthUnavailableError('Cognito is temporarily unavailable', ctx.retryAfterSeconds);
}

function isGroupOperation(operation: AdminOperation): boolean {
  return operation === 'addToGroup' || operation === 'removeFromGroup';
}

/** Cognito answers a missing group and a missing pool with the same `ResourceNotFoundException`; only the message tells them apart. */
function mentionsGroup(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /\bgroup\b/i.test(message);
}

function errorName(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}
