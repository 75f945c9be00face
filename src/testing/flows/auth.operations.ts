import { randomBytes } from 'node:crypto';
import { CognitoError } from '../cognito-api.handler.js';
import type { AuthSession, TestChallengeName } from './auth-sessions.js';
import type { FlowsContext } from './flows-context.js';
import { checkSecretHash, invalidParameter, type Json, knownClient, notAuthorized, optStr, record, str } from './flows-wire.js';
import { policyViolation } from './password-policy.js';
import { SRP_TIMESTAMP, startServerSession, verifyClaim } from './srp-server.js';
import { maskDestination, type TestMfaMethod, type TestUser } from './test-users.js';
import { createTotpSecret, matchTotp } from './totp.js';

const codeMismatch = (): never => {
  throw new CognitoError('CodeMismatchException', 'Invalid code or auth state for the user.');
};

/** `InitiateAuth` with `USER_PASSWORD_AUTH` or `USER_SRP_AUTH`. */
export async function initiateAuth(ctx: FlowsContext, params: Json): Promise<Json> {
  const clientId = knownClient(ctx.clients, params);
  const flow = params['AuthFlow'];
  const auth = record(params, 'AuthParameters');
  const name = str(auth, 'USERNAME');
  checkSecretHash(ctx.clients, clientId, name, auth['SECRET_HASH']);
  const user = ctx.users.find(name);
  if (flow === 'USER_PASSWORD_AUTH') {
    const known = signInUser(ctx, user);
    if (!known.enabled) notAuthorized('User is disabled.');
    if (known.password !== str(auth, 'PASSWORD')) notAuthorized();
    return afterPassword(ctx, known, clientId);
  }
  if (flow === 'USER_SRP_AUTH') return startSrp(ctx, user, name, clientId, str(auth, 'SRP_A'));
  return invalidParameter(`TestIdentityProvider does not support the ${typeof flow === 'string' ? flow : 'given'} flow`);
}

/** The user, or Cognito's answer for an unknown one (`UserNotFoundException`, or as a wrong password with prevention on). */
function signInUser(ctx: FlowsContext, user: TestUser | undefined): TestUser {
  if (user) return user;
  if (ctx.controls.preventUserExistenceErrors) notAuthorized();
  throw new CognitoError('UserNotFoundException', 'User does not exist.');
}

function startSrp(ctx: FlowsContext, user: TestUser | undefined, name: string, clientId: string, srpA: string): Json {
  if (!/^[0-9a-fA-F]{1,2048}$/.test(srpA)) invalidParameter('SRP_A is not a hex number');
  const known = user ?? (ctx.controls.preventUserExistenceErrors ? undefined : signInUser(ctx, user));
  // With prevention on, an unknown user gets a challenge that no password can answer.
  const verifier = known
    ? ctx.users.verifier(known)
    : { salt: randomBytes(16).toString('hex'), verifier: BigInt(`0x${randomBytes(32).toString('hex')}`) };
  const srp = startServerSession(verifier);
  const userId = known?.username ?? name;
  const secretBlock = randomBytes(64).toString('base64');
  const session = ctx.sessions.open({ username: userId, clientId, stage: 'PASSWORD_VERIFIER', srp, mfaPassed: false }, secretBlock);
  return {
    ChallengeName: 'PASSWORD_VERIFIER',
    Session: session,
    ChallengeParameters: { SALT: verifier.salt, SECRET_BLOCK: secretBlock, SRP_B: srp.srpB, USERNAME: userId, USER_ID_FOR_SRP: userId },
  };
}

/** After a correct password: the account's state, then the next challenge or tokens. */
function afterPassword(ctx: FlowsContext, user: TestUser, clientId: string): Promise<Json> {
  if (user.status === 'UNCONFIRMED') throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.');
  if (user.status === 'RESET_REQUIRED') throw new CognitoError('PasswordResetRequiredException', 'Password reset required for the user');
  return nextStep(ctx, { username: user.username, clientId, stage: 'PASSWORD_VERIFIER', mfaPassed: false }, user);
}

/** What the user must still do: a new password, MFA set-up, choosing MFA, an MFA code; undefined when done. */
function pendingChallenge(user: TestUser, s: AuthSession): TestChallengeName | undefined {
  if (user.status === 'FORCE_CHANGE_PASSWORD') return 'NEW_PASSWORD_REQUIRED';
  if (s.mfaPassed) return undefined;
  if (user.requireMfaSetup && !user.totpSecret) return 'MFA_SETUP';
  if (user.mfa.length === 0) return undefined;
  if (s.selected) return s.selected;
  if (user.preferredMfa && user.mfa.includes(user.preferredMfa)) return user.preferredMfa;
  return user.mfa.length > 1 ? 'SELECT_MFA_TYPE' : user.mfa[0];
}

/** Tokens, or the next challenge under a new session value (codes are sent now). */
async function nextStep(ctx: FlowsContext, s: AuthSession, user: TestUser): Promise<Json> {
  const challenge = pendingChallenge(user, s);
  if (!challenge) return { AuthenticationResult: await ctx.mint(user, s.clientId), ChallengeParameters: {} };
  s.stage = challenge;
  return {
    ChallengeName: challenge,
    Session: ctx.sessions.open(s),
    ChallengeParameters: { USERNAME: user.username, ...challengeParameters(ctx, user, challenge) },
  };
}

function challengeParameters(ctx: FlowsContext, user: TestUser, challenge: TestChallengeName): Record<string, string> {
  switch (challenge) {
    case 'NEW_PASSWORD_REQUIRED':
      return {
        userAttributes: JSON.stringify({ ...(user.email ? { email: user.email } : {}), ...user.attributes }),
        requiredAttributes: '[]',
      };
    case 'MFA_SETUP':
      return { MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]' };
    case 'SELECT_MFA_TYPE':
      return { MFAS_CAN_CHOOSE: JSON.stringify(user.mfa) };
    case 'SMS_MFA':
      ctx.users.issueCode(user, 'SMS_MFA');
      return { CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS', CODE_DELIVERY_DESTINATION: maskDestination(user.phoneNumber ?? '+10000000000') };
    case 'EMAIL_OTP':
      ctx.users.issueCode(user, 'EMAIL_OTP');
      return { CODE_DELIVERY_DELIVERY_MEDIUM: 'EMAIL', CODE_DELIVERY_DESTINATION: maskDestination(user.email ?? 'x@example.test') };
    default:
      return {};
  }
}

/** `RespondToAuthChallenge` for PASSWORD_VERIFIER and every challenge of {@link pendingChallenge}. */
export async function respondToAuthChallenge(ctx: FlowsContext, params: Json): Promise<Json> {
  const clientId = knownClient(ctx.clients, params);
  const name = str(params, 'ChallengeName');
  const answers = record(params, 'ChallengeResponses');
  const token =
    name === 'PASSWORD_VERIFIER'
      ? (ctx.sessions.tokenOfSecretBlock(answers['PASSWORD_CLAIM_SECRET_BLOCK'] ?? '') ?? optStr(params, 'Session'))
      : optStr(params, 'Session');
  const s = ctx.sessions.get(token, clientId);
  if (s.stage !== name) invalidParameter(`The session is for ${s.stage}, not ${name}`);
  checkSecretHash(ctx.clients, clientId, str(answers, 'USERNAME'), answers['SECRET_HASH']);
  const user = ctx.users.find(s.username);
  if (name === 'PASSWORD_VERIFIER') {
    if (!user || !s.srp || !verifySrp(ctx, user, s, answers)) notAuthorized();
    ctx.sessions.retire(token!);
    if (!user.enabled) notAuthorized('User is disabled.');
    return afterPassword(ctx, user, clientId);
  }
  if (!user || !user.enabled) notAuthorized('Invalid session for the user.');
  if (answers['USERNAME'] !== user.username && answers['USERNAME'] !== user.email) notAuthorized('Invalid session for the user.');
  answer(ctx, user, s, name, answers);
  ctx.sessions.retire(token!);
  return nextStep(ctx, s, user);
}

function verifySrp(ctx: FlowsContext, user: TestUser, s: AuthSession, answers: Record<string, string>): boolean {
  const timestamp = str(answers, 'TIMESTAMP');
  if (!SRP_TIMESTAMP.test(timestamp)) invalidParameter('TIMESTAMP format is wrong');
  return verifyClaim(ctx.users.verifier(user), s.srp!, {
    srpA: answers['SRP_A'] ?? '',
    poolName: ctx.poolName,
    userId: user.username,
    secretBlock: str(answers, 'PASSWORD_CLAIM_SECRET_BLOCK'),
    timestamp,
    signature: str(answers, 'PASSWORD_CLAIM_SIGNATURE'),
  });
}

/** Checks one answer and records what it changed; throws Cognito's error when it is wrong. */
function answer(ctx: FlowsContext, user: TestUser, s: AuthSession, name: string, answers: Record<string, string>): void {
  switch (name) {
    case 'NEW_PASSWORD_REQUIRED': {
      const password = str(answers, 'NEW_PASSWORD');
      const violation = policyViolation(ctx.controls.passwordPolicy, password);
      if (violation) throw new CognitoError('InvalidPasswordException', violation);
      user.password = password;
      user.status = 'CONFIRMED';
      for (const [key, value] of Object.entries(answers)) if (key.startsWith('userAttributes.')) user.attributes[key.slice(15)] = value;
      return;
    }
    case 'SELECT_MFA_TYPE': {
      const choice = str(answers, 'ANSWER') as TestMfaMethod;
      if (!user.mfa.includes(choice)) invalidParameter('The MFA type is not enabled for the user');
      s.selected = choice;
      return;
    }
    case 'SMS_MFA':
    case 'EMAIL_OTP':
      checkCode(ctx, user, name, str(answers, `${name}_CODE`));
      s.mfaPassed = true;
      return;
    case 'SOFTWARE_TOKEN_MFA':
      useTotp(ctx, user, user.totpSecret, str(answers, 'SOFTWARE_TOKEN_MFA_CODE'));
      s.mfaPassed = true;
      return;
    case 'MFA_SETUP':
      if (!s.totpVerified || !s.pendingTotp) notAuthorized('The software token was not verified.');
      enableTotp(user, s.pendingTotp);
      s.mfaPassed = true;
      return;
    default:
      invalidParameter(`Unsupported challenge ${name}`);
  }
}

function checkCode(ctx: FlowsContext, user: TestUser, kind: 'SMS_MFA' | 'EMAIL_OTP', code: string): void {
  const outcome = ctx.users.useCode(user, kind, code);
  if (outcome === 'expired')
    throw new CognitoError('ExpiredCodeException', 'Your software token has already been used once or has expired.');
  if (outcome === 'mismatch') codeMismatch();
}

/** A TOTP code of `secret`, good once (a time step used already is refused). */
function useTotp(ctx: FlowsContext, user: TestUser, secret: string | undefined, code: string): void {
  const step = secret && /^[0-9]{6}$/.test(code) ? matchTotp(secret, code, ctx.controls.now()) : undefined;
  if (step === undefined || (user.lastTotpStep !== undefined && step <= user.lastTotpStep)) codeMismatch();
  user.lastTotpStep = step;
}

function enableTotp(user: TestUser, secret: string): void {
  user.totpSecret = secret;
  user.pendingTotpSecret = undefined;
  user.requireMfaSetup = false;
  if (!user.mfa.includes('SOFTWARE_TOKEN_MFA')) user.mfa.push('SOFTWARE_TOKEN_MFA');
}

/** `AssociateSoftwareToken` with a sign-in `Session` (MFA_SETUP) or an `AccessToken` (enrolment when signed in). */
export function associateSoftwareToken(ctx: FlowsContext, params: Json): Json {
  const secret = createTotpSecret();
  const accessToken = optStr(params, 'AccessToken');
  if (accessToken) {
    ctx.userOfAccessToken(accessToken).pendingTotpSecret = secret;
    return { SecretCode: secret };
  }
  const token = str(params, 'Session');
  const s = sessionOfAnyClient(ctx, token);
  if (s.stage !== 'MFA_SETUP') notAuthorized('Invalid session for the user.');
  s.pendingTotp = secret;
  s.totpVerified = false;
  return { SecretCode: secret, Session: ctx.sessions.renew(token) };
}

/** `VerifySoftwareToken`: the first code of the new secret. A wrong one is `EnableSoftwareTokenMFAException`, as at AWS. */
export function verifySoftwareToken(ctx: FlowsContext, params: Json): Json {
  const code = str(params, 'UserCode');
  const accessToken = optStr(params, 'AccessToken');
  const mismatch = (): never => {
    throw new CognitoError('EnableSoftwareTokenMFAException', 'Code mismatch');
  };
  if (accessToken) {
    const user = ctx.userOfAccessToken(accessToken);
    const pending = user.pendingTotpSecret;
    if (!pending || matchTotp(pending, code, ctx.controls.now()) === undefined) return mismatch();
    enableTotp(user, pending);
    return { Status: 'SUCCESS' };
  }
  const token = str(params, 'Session');
  const s = sessionOfAnyClient(ctx, token);
  if (s.stage !== 'MFA_SETUP' || !s.pendingTotp) notAuthorized('Invalid session for the user.');
  if (matchTotp(s.pendingTotp, code, ctx.controls.now()) === undefined) mismatch();
  s.totpVerified = true;
  return { Status: 'SUCCESS', Session: ctx.sessions.renew(token) };
}

/** `AssociateSoftwareToken` / `VerifySoftwareToken` carry no client id: the session names it. */
function sessionOfAnyClient(ctx: FlowsContext, token: string): AuthSession {
  for (const clientId of ctx.clients.keys()) {
    try {
      return ctx.sessions.get(token, clientId);
    } catch (err) {
      if (!(err instanceof CognitoError) || !/session for the user\.$/.test(err.message)) throw err;
    }
  }
  return notAuthorized('Invalid session for the user.');
}
