import { CognitoError } from '../cognito-api.handler.js';
import type { FlowsContext } from './flows-context.js';
import { checkSecretHash, invalidParameter, type Json, knownClient, notAuthorized, str } from './flows-wire.js';
import { policyViolation } from './password-policy.js';
import { maskDestination, type TestCodeKind, type TestUser } from './test-users.js';

function checkPolicy(ctx: FlowsContext, password: string): void {
  const violation = policyViolation(ctx.controls.passwordPolicy, password);
  if (violation) throw new CognitoError('InvalidPasswordException', violation);
}

/** The client and the user name of an account operation, the secret hash checked. */
function clientAndName(ctx: FlowsContext, params: Json): { clientId: string; name: string } {
  const clientId = knownClient(ctx.clients, params);
  const name = str(params, 'Username');
  checkSecretHash(ctx.clients, clientId, name, typeof params['SecretHash'] === 'string' ? params['SecretHash'] : undefined);
  return { clientId, name };
}

/** The user of an account operation: `UserNotFoundException` (with prevention on, `asUnknown` instead). */
function accountUser(ctx: FlowsContext, name: string, asUnknown: () => never): TestUser {
  const user = ctx.users.find(name);
  if (user) return user;
  if (ctx.controls.preventUserExistenceErrors) asUnknown();
  throw new CognitoError('UserNotFoundException', 'Username/client id combination not found.');
}

function delivery(user: TestUser): Json {
  if (user.email) return { Destination: maskDestination(user.email), DeliveryMedium: 'EMAIL', AttributeName: 'email' };
  if (user.phoneNumber) return { Destination: maskDestination(user.phoneNumber), DeliveryMedium: 'SMS', AttributeName: 'phone_number' };
  return invalidParameter('Cannot send a code: the user has no verified email or phone_number');
}

/** `SignUp`: an UNCONFIRMED user and a confirmation code (`lastCode(username, 'signup')`). */
export function signUp(ctx: FlowsContext, params: Json): Json {
  const { name } = clientAndName(ctx, params);
  const password = str(params, 'Password');
  if (ctx.users.find(name)) throw new CognitoError('UsernameExistsException', 'User already exists');
  checkPolicy(ctx, password);
  const attributes: Record<string, string> = {};
  for (const attr of Array.isArray(params['UserAttributes']) ? (params['UserAttributes'] as Json[]) : []) {
    if (typeof attr?.['Name'] === 'string' && typeof attr['Value'] === 'string') attributes[attr['Name']] = attr['Value'];
  }
  const { email, phone_number: phoneNumber, ...rest } = attributes;
  if (email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(email)) invalidParameter('Invalid email address format.');
  const user = ctx.users.add({ username: name, password, email: email ?? null, phoneNumber, attributes: rest, status: 'UNCONFIRMED' });
  user.emailVerified = false;
  ctx.users.issueCode(user, 'signup');
  return { UserConfirmed: false, UserSub: user.sub, CodeDeliveryDetails: delivery(user) };
}

/** Uses a code: `CodeMismatchException` or `ExpiredCodeException` (also for a code used already). */
function useCode(ctx: FlowsContext, user: TestUser, kind: TestCodeKind, code: string): void {
  const outcome = ctx.users.useCode(user, kind, code);
  if (outcome === 'mismatch') throw new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.');
  if (outcome === 'expired') throw new CognitoError('ExpiredCodeException', 'Invalid code provided, please request a code again.');
}

const mismatch = (): never => {
  throw new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.');
};

/** `ConfirmSignUp`. A confirmed user is `NotAuthorizedException`, as at AWS. */
export function confirmSignUp(ctx: FlowsContext, params: Json): Json {
  const { name } = clientAndName(ctx, params);
  const user = accountUser(ctx, name, mismatch);
  const code = str(params, 'ConfirmationCode');
  if (user.status !== 'UNCONFIRMED') notAuthorized(`User cannot be confirmed. Current status is ${user.status}`);
  useCode(ctx, user, 'signup', code);
  user.status = 'CONFIRMED';
  user.emailVerified = user.email !== null;
  return {};
}

/** `ResendConfirmationCode`. */
export function resendConfirmationCode(ctx: FlowsContext, params: Json): Json {
  const { name } = clientAndName(ctx, params);
  const user = accountUser(ctx, name, () => invalidParameter('Username/client id combination not found.'));
  if (user.status !== 'UNCONFIRMED') invalidParameter('User is already confirmed.');
  ctx.users.issueCode(user, 'signup');
  return { CodeDeliveryDetails: delivery(user) };
}

/** `ForgotPassword`: a reset code (`lastCode(username, 'forgot')`). */
export function forgotPassword(ctx: FlowsContext, params: Json): Json {
  const { name } = clientAndName(ctx, params);
  const user = ctx.users.find(name);
  if (!user) {
    if (ctx.controls.preventUserExistenceErrors)
      return { CodeDeliveryDetails: { Destination: 'x***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' } };
    throw new CognitoError('UserNotFoundException', 'Username/client id combination not found.');
  }
  if (!user.emailVerified && !user.phoneNumber)
    invalidParameter('Cannot reset password for the user as there is no registered/verified email or phone_number');
  ctx.users.issueCode(user, 'forgot');
  return { CodeDeliveryDetails: delivery(user) };
}

/** `ConfirmForgotPassword`: the new password with the reset code. */
export function confirmForgotPassword(ctx: FlowsContext, params: Json): Json {
  const { name } = clientAndName(ctx, params);
  const user = accountUser(ctx, name, mismatch);
  const code = str(params, 'ConfirmationCode');
  const password = str(params, 'Password');
  checkPolicy(ctx, password);
  useCode(ctx, user, 'forgot', code);
  user.password = password;
  if (user.status === 'RESET_REQUIRED' || user.status === 'FORCE_CHANGE_PASSWORD') user.status = 'CONFIRMED';
  return {};
}

/** `ChangePassword` with the user's access token. */
export function changePassword(ctx: FlowsContext, params: Json): Json {
  const user = ctx.userOfAccessToken(str(params, 'AccessToken'));
  if (user.password !== str(params, 'PreviousPassword')) notAuthorized();
  const proposed = str(params, 'ProposedPassword');
  checkPolicy(ctx, proposed);
  user.password = proposed;
  return {};
}

/** `GlobalSignOut` with the user's access token. */
export function globalSignOut(ctx: FlowsContext, params: Json): Json {
  ctx.signOut(ctx.userOfAccessToken(str(params, 'AccessToken')));
  return {};
}
