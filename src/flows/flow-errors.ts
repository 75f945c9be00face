import { BadRequestException, HttpException } from '@nestjs/common';
import {
  CodeExpiredError,
  CodeMismatchError,
  InvalidCredentialsError,
  InvalidPasswordError,
  InvalidStateError,
  isCognitoAuthError,
  PasswordResetRequiredError,
  UsernameExistsError,
  UserNotConfirmedError,
} from '../errors/cognito-auth.errors.js';
import {
  type CognitoErrorContext,
  cognitoErrorName,
  cognitoErrorSets,
  mapCognitoFailure,
  safeErrorName,
  scrubMessage,
  unavailableFailure,
} from '../tokens/cognito-errors.js';

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

/**
 * The shared throttling and misconfiguration names, and the flows' own. Too many failed attempts
 * (wrong codes or passwords) is throttling of a user-initiated flow: 429 `limit_exceeded` (a
 * transparent refresh answers 503 instead). `AccessDeniedException` and the MFA errors mean the
 * pool or the app client is set up wrongly for the flow: nothing the user can change.
 */
const FLOW_ERRORS = cognitoErrorSets({
  throttling: ['TooManyFailedAttemptsException'],
  misconfigured: [
    'AccessDeniedException',
    'SoftwareTokenMFANotFoundException',
    'MFAMethodNotFoundException',
    'UnsupportedTokenTypeException',
  ],
});

/** How a failure is mapped and reported; `secrets` (passwords, codes) are removed from Cognito's messages. */
export type FlowErrorContext = CognitoErrorContext;

/**
 * Maps a failed Cognito call of a flow to the typed error the client gets (never a 500):
 * throttling 429 `limit_exceeded`; unreachable or misconfigured 503 `auth_unavailable`; and the
 * refusals by operation, so that only `user_not_confirmed` (after a correct password),
 * `username_exists` and `password_reset_required` can tell that a user exists. Logs carry the
 * error's name, never Cognito's message (it may quote a value).
 */
export function toFlowError(operation: FlowOperation, err: unknown, ctx: FlowErrorContext): Error {
  if (isCognitoAuthError(err) || err instanceof HttpException) return err as Error;
  const label = `Cognito ${operation}: ${safeErrorName(err)}`;
  // Cognito answers a sign-in with an auth flow the app client does not allow ("USER_PASSWORD_AUTH
  // flow not enabled for this client") this way: the app's set-up, not the user's input.
  if (cognitoErrorName(err) === 'InvalidParameterException' && operation === 'login') return unavailableFailure(label, ctx);
  return mapCognitoFailure(err, label, ctx, FLOW_ERRORS, (name) => refusal(operation, name, err, ctx));
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
