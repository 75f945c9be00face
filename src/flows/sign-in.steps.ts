import {
  AssociateSoftwareTokenCommand,
  RespondToAuthChallengeCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AuthUnavailableError, CodeMismatchError, InvalidStateError, isCognitoAuthError } from '../errors/cognito-auth.errors.js';
import type { JwtValidationService } from '../tokens/jwt-validation.service.js';
import type { CognitoIdTokenClaims } from '../tokens/token.types.js';
import { canSetUpTotp, checkAnswers, isFlowChallenge, publicParameters } from './challenge-answers.js';
import type { FlowCaller } from './flow-caller.js';
import type { FlowStateCrypto } from './flow-state.crypto.js';
import type { ChallengeInput, FlowChallengeName, FlowResult, FlowTokens, SignedInResult } from './flow.types.js';
import type { CognitoAuthOutput } from './srp-login.js';

/**
 * How long a challenge session is honoured here: Cognito's own session lasts 3 minutes by default
 * and at most 15 (the app client's `AuthSessionValidity`), and Cognito checks it too.
 */
export const CHALLENGE_TTL_SECONDS = 15 * 60;

/** What the sealed challenge session holds: Cognito's session, the user it is for, the challenge, the expiry. */
interface SealedChallenge {
  readonly s: string;
  readonly u: string;
  readonly c: FlowChallengeName;
  readonly e: number;
}

/**
 * The steps after a sign-in call: tokens become a verified sign-in, a challenge becomes an opaque
 * session for the client (Cognito's session sealed with the state key, bound to the user and the
 * challenge), and an answer is sent back with the user and secret hash the session names.
 */
export class SignInSteps {
  constructor(
    private readonly caller: FlowCaller,
    private readonly crypto: FlowStateCrypto,
    private readonly jwt: JwtValidationService,
    private readonly now: () => number,
  ) {}

  /** Tokens, or the next challenge for `username`. */
  async result(out: CognitoAuthOutput, username: string): Promise<FlowResult> {
    if (out.AuthenticationResult) return this.signedIn(out.AuthenticationResult);
    const name = out.ChallengeName;
    const params = out.ChallengeParameters ?? {};
    if (!isFlowChallenge(name) || !out.Session || (name === 'MFA_SETUP' && !canSetUpTotp(params))) {
      this.caller.logger.error(
        `Cognito asked for a challenge the flows do not answer: ${/^[A-Z_]{1,40}$/.test(name ?? '') ? name : 'unknown'}`,
      );
      throw new AuthUnavailableError('Cognito is temporarily unavailable', this.caller.retryAfterSeconds);
    }
    const user = params['USERNAME'] ?? params['USER_ID_FOR_SRP'] ?? username;
    const parameters = publicParameters(params);
    let session = out.Session;
    if (name === 'MFA_SETUP') {
      const assoc = await this.caller.call('challenge', (abortSignal) =>
        this.caller.client.send(new AssociateSoftwareTokenCommand({ Session: session }), { abortSignal }),
      );
      if (!assoc.SecretCode)
        throw this.caller.toError('challenge', Object.assign(new Error('no secret code'), { name: 'InternalErrorException' }));
      parameters['SECRET_CODE'] = assoc.SecretCode;
      session = assoc.Session ?? session;
    }
    const payload: SealedChallenge = { s: session, u: user, c: name, e: Math.floor(this.now() / 1000) + CHALLENGE_TTL_SECONDS };
    const sealed = this.crypto.seal(payload);
    return { status: 'challenge', challenge: name, session: sealed, parameters };
  }

  /** Sends the answers to the challenge the session is for; tokens or the next challenge. */
  async answer(input: ChallengeInput): Promise<FlowResult> {
    const sealed = this.crypto.open<SealedChallenge>(input.session);
    if (!sealed || typeof sealed.s !== 'string' || typeof sealed.u !== 'string' || !isFlowChallenge(sealed.c)) {
      throw new InvalidStateError('The challenge session is invalid or has expired: sign in again');
    }
    if (input.challenge !== sealed.c) throw new InvalidStateError('The challenge session is for another challenge');
    const answers = checkAnswers(sealed.c, input.answers);
    const secrets = Object.values(answers);
    const session = sealed.c === 'MFA_SETUP' ? await this.verifyTotp(sealed.s, answers) : sealed.s;
    const responses = sealed.c === 'MFA_SETUP' ? {} : answers;
    const out = await this.caller.call(
      'challenge',
      (abortSignal) =>
        this.caller.client.send(
          new RespondToAuthChallengeCommand({
            ChallengeName: sealed.c,
            ClientId: this.caller.clientId,
            Session: session,
            ChallengeResponses: { ...responses, USERNAME: sealed.u, ...this.caller.secretHashParam(sealed.u) },
          }),
          { abortSignal },
        ),
      secrets,
    );
    return this.result(out, sealed.u);
  }

  /** MFA_SETUP: `VerifySoftwareToken` with the first code of the new TOTP secret; the session to answer with. */
  private async verifyTotp(session: string, answers: Record<string, string>): Promise<string> {
    const code = answers['SOFTWARE_TOKEN_MFA_CODE'] ?? '';
    const device = answers['FRIENDLY_DEVICE_NAME'];
    const out = await this.caller.call(
      'challenge',
      (abortSignal) =>
        this.caller.client.send(
          new VerifySoftwareTokenCommand({ Session: session, UserCode: code, ...(device ? { FriendlyDeviceName: device } : {}) }),
          { abortSignal },
        ),
      [code],
    );
    if (out.Status !== 'SUCCESS') throw new CodeMismatchError();
    return out.Session ?? session;
  }

  /** Verifies the tokens Cognito issued (they must pass this app's own checks) and names the user. */
  async signedIn(result: NonNullable<CognitoAuthOutput['AuthenticationResult']>, nonce?: string): Promise<SignedInResult> {
    const { AccessToken: accessToken, IdToken: idToken, RefreshToken: refreshToken, ExpiresIn: expiresIn } = result;
    if (!accessToken || !idToken) return this.unusable('Cognito signed the user in without an access token and an ID token');
    const tokens: FlowTokens = {
      accessToken,
      idToken,
      ...(refreshToken ? { refreshToken } : {}),
      ...(expiresIn !== undefined ? { expiresIn } : {}),
    };
    return this.signedInWith(tokens, nonce);
  }

  /** `signedIn` for tokens already shaped (the hosted UI's), checking the OIDC `nonce` when given. */
  async signedInWith(tokens: FlowTokens, nonce?: string): Promise<SignedInResult> {
    let id: CognitoIdTokenClaims;
    try {
      ({ id } = await this.jwt.verifyPair(tokens.idToken, tokens.accessToken));
    } catch (err) {
      if (isCognitoAuthError(err) && err.code === 'auth_unavailable') throw err;
      return this.unusable(
        `Cognito issued tokens this app does not accept (${isCognitoAuthError(err) ? err.code : 'unknown error'}): check the pool, client and issuer settings`,
      );
    }
    if (nonce !== undefined && id['nonce'] !== nonce) throw new InvalidStateError('The ID token does not answer this sign-in (nonce)');
    const username = id['cognito:username'];
    const groups = id['cognito:groups'];
    return {
      status: 'signed_in',
      user: { sub: id.sub, username: typeof username === 'string' ? username : id.sub, groups: Array.isArray(groups) ? [...groups] : [] },
      tokens,
    };
  }

  private unusable(message: string): never {
    this.caller.logger.error(message);
    throw new AuthUnavailableError('Cognito is temporarily unavailable', this.caller.retryAfterSeconds);
  }
}
