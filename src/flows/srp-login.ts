import { InitiateAuthCommand, RespondToAuthChallengeCommand } from '@aws-sdk/client-cognito-identity-provider';
import { AuthUnavailableError } from '../errors/cognito-auth.errors.js';
import { optionalRequire } from '../internal/optional-require.cjs';
import type { FlowCaller } from './flow-caller.js';

/** What a Cognito sign-in step answers: tokens, or a challenge with its session. */
export interface CognitoAuthOutput {
  ChallengeName?: string;
  Session?: string;
  ChallengeParameters?: Record<string, string>;
  AuthenticationResult?: { AccessToken?: string; IdToken?: string; RefreshToken?: string; ExpiresIn?: number };
}

type SrpSession = object;
interface InitiateRequest {
  AuthFlow: 'USER_SRP_AUTH';
  ClientId: string;
  AuthParameters: Record<string, string>;
}
interface ChallengeRequest {
  ChallengeName: 'PASSWORD_VERIFIER';
  ClientId: string;
  Session?: string;
  ChallengeResponses: Record<string, string>;
}

/** The part of cognito-srp-helper 2 used here: all SRP arithmetic is its, none is written in this package. */
interface SrpHelper {
  createSrpSession(username: string, password: string, poolId: string, isHashed: boolean): SrpSession;
  signSrpSession(session: SrpSession, response: CognitoAuthOutput): SrpSession;
  wrapInitiateAuth<T extends InitiateRequest>(session: SrpSession, request: T): T;
  wrapAuthChallenge<T extends ChallengeRequest>(session: SrpSession, request: T): T;
}

let helper: SrpHelper | null | undefined;

/** cognito-srp-helper, loaded on the first SRP sign-in (an optional peer). */
function srpHelper(): SrpHelper | undefined {
  if (helper === undefined) helper = optionalRequire<SrpHelper>('cognito-srp-helper') ?? null;
  return helper ?? undefined;
}

/**
 * `USER_SRP_AUTH`: `InitiateAuth` with SRP_A, then the `PASSWORD_VERIFIER` answer (the password
 * claim signed over Cognito's SRP_B, salt and secret block), so the password itself never reaches
 * Cognito. Returns the answer to the verifier: tokens or the next challenge. The `SECRET_HASH` of
 * the answer uses Cognito's internal user id (`USER_ID_FOR_SRP`), as Cognito requires.
 *
 * @throws AuthUnavailableError when cognito-srp-helper is not installed (logged), or Cognito's
 *   SRP parameters cannot be used
 */
export async function srpLogin(caller: FlowCaller, poolId: string, username: string, password: string): Promise<CognitoAuthOutput> {
  const srp = srpHelper();
  if (!srp) {
    caller.logger.error('USER_SRP_AUTH needs the optional peer cognito-srp-helper: npm install cognito-srp-helper');
    throw new AuthUnavailableError('Cognito is temporarily unavailable', caller.retryAfterSeconds);
  }
  const session = srp.createSrpSession(username, password, poolId, false);
  const request = srp.wrapInitiateAuth(session, {
    AuthFlow: 'USER_SRP_AUTH',
    ClientId: caller.clientId,
    AuthParameters: { USERNAME: username, ...caller.secretHashParam(username) },
  });
  const init: CognitoAuthOutput = await caller.call(
    'login',
    (abortSignal) => caller.client.send(new InitiateAuthCommand(request), { abortSignal }),
    [password],
  );
  if (init.ChallengeName !== 'PASSWORD_VERIFIER') return init;
  let signed: SrpSession;
  try {
    signed = srp.signSrpSession(session, init);
  } catch (err) {
    throw caller.toError('login', err); // Cognito's SRP parameters were unusable: 503, logged
  }
  const userId = init.ChallengeParameters?.['USER_ID_FOR_SRP'] ?? username;
  const answer = srp.wrapAuthChallenge(signed, {
    ChallengeName: 'PASSWORD_VERIFIER',
    ClientId: caller.clientId,
    ...(init.Session ? { Session: init.Session } : {}),
    ChallengeResponses: { USERNAME: userId, ...caller.secretHashParam(userId) },
  });
  return caller.call('login', (abortSignal) => caller.client.send(new RespondToAuthChallengeCommand(answer), { abortSignal }), [password]);
}
