import { HttpException } from '@nestjs/common';
import { InvalidPasswordError, isCognitoAuthError, UsernameExistsError } from '../errors/cognito-auth.errors.js';
import {
  type CognitoErrorContext,
  cognitoErrorName,
  cognitoErrorSets,
  cognitoUnavailable,
  mapCognitoFailure,
  safeErrorName,
  scrubMessage,
} from '../tokens/cognito-errors.js';
import {
  AdminGroupNotFoundError,
  AdminInvalidParameterError,
  AdminUserNotFoundError,
  isCognitoAdminError,
} from '../errors/admin.errors.js';

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

/**
 * The shared throttling and misconfiguration names, nothing added: throttling is 429
 * `limit_exceeded` with Retry-After (an administrator's request, like a user's flow).
 */
const ADMIN_ERRORS = cognitoErrorSets();

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

/** How a failure is mapped and reported; `secrets` (a temporary password) never reach a response or a log. */
export type AdminErrorContext = CognitoErrorContext;

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
  const name = cognitoErrorName(err);
  const label = `Cognito admin ${operation}: ${safeErrorName(err)}`;
  // Checked before the shared steps, which would log a credentials failure as a plain outage and
  // answer a missing group 503. Neither is a throttling name, so going first changes no answer.
  if (CREDENTIALS.has(name)) {
    ctx.logger.error(
      `${label}: admin calls need IAM credentials (the AWS SDK's default chain) allowed the cognito-idp:Admin* / ListUsers actions on the pool`,
    );
    return cognitoUnavailable(ctx.retryAfterSeconds);
  }
  if (name === 'ResourceNotFoundException' && isGroupOperation(operation) && mentionsGroup(err)) return new AdminGroupNotFoundError();
  return mapCognitoFailure(err, label, ctx, ADMIN_ERRORS, (refused) => refusal(operation, refused, err, ctx));
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

function isGroupOperation(operation: AdminOperation): boolean {
  return operation === 'addToGroup' || operation === 'removeFromGroup';
}

/** Cognito answers a missing group and a missing pool with the same `ResourceNotFoundException`; only the message tells them apart. */
function mentionsGroup(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /\bgroup\b/i.test(message);
}
