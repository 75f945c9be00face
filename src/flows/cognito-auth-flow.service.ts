import { Inject, Injectable, Logger, NotFoundException, Optional } from '@nestjs/common';
import {
  ChangePasswordCommand,
  type CognitoIdentityProviderClient,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  type CodeDeliveryDetailsType,
  ForgotPasswordCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from '../cognito-auth.constants.js';
import { AuthUnavailableError, InvalidCredentialsError, LimitExceededError, TokenMissingError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { CognitoRevocationService } from '../shared-state/cognito-revocation.service.js';
import { JwtValidationService } from '../tokens/jwt-validation.service.js';
import { COGNITO_CLIENT } from '../admin/cognito-client.provider.js';
import { FlowCaller } from './flow-caller.js';
import type { FlowOperation } from './flow-errors.js';
import * as input from './flow-input.js';
import { FlowStateCrypto } from './flow-state.crypto.js';
import type {
  ChallengeInput,
  CodeDelivery,
  FlowResult,
  HostedUiCallback,
  HostedUiStart,
  LoginInput,
  SignedInResult,
  SignUpInput,
  SignUpResult,
} from './flow.types.js';
import { HostedUi } from './hosted-ui.js';
import { SignInSteps } from './sign-in.steps.js';
import { srpLogin } from './srp-login.js';

/** A password Cognito can never accept (its pattern: no leading or trailing white space). */
const IMPOSSIBLE_PASSWORD = /^\s|\s$/;
/** Cognito errors that only say "the API is busy", never anything about the user. */
const API_THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException']);

/**
 * Cognito's user flows, each with typed results and typed errors (never a 500): password and SRP
 * sign-in, every challenge (new password, SMS / TOTP / e-mail MFA, choosing and setting up MFA),
 * sign-up and its confirmation, forgotten and changed passwords, global sign-out, and the hosted
 * UI's authorization code + PKCE sign-in. A sign-in ends with tokens for
 * `CognitoSessionService.signIn(res, tokens)`.
 *
 * Only `user_not_confirmed` (after a correct password), `username_exists` and
 * `password_reset_required` tell that a user exists: an unknown user signs in as a wrong password
 * does, and `forgotPassword` / `resendConfirmationCode` succeed whether or not the user exists
 * (each makes the same single Cognito call either way). Calls go through the injectable
 * `COGNITO_CLIENT` with the first configured app client, each bounded by the Cognito timeout.
 */
@Injectable()
export class CognitoAuthFlowService {
  private readonly logger = new Logger(CognitoAuthFlowService.name);
  private readonly caller: FlowCaller;
  private readonly steps: SignInSteps;
  private readonly hostedUi: HostedUi | undefined;
  private readonly client: CognitoIdentityProviderClient;

  /**
   * @param settings the module's settings (the state key seals challenge sessions and signs the OAuth cookie)
   * @param client the configured SDK client (`COGNITO_CLIENT`)
   * @param clock milliseconds since the epoch; default `Date.now`
   */
  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    @Inject(COGNITO_CLIENT) client: CognitoIdentityProviderClient,
    jwt: JwtValidationService,
    private readonly revocation: CognitoRevocationService,
    @Optional() @Inject(COGNITO_CLOCK) clock: () => number = Date.now,
  ) {
    this.client = client;
    const crypto = new FlowStateCrypto(settings.sharedState.stateKey, clock, () =>
      this.logger.warn(
        'COGNITO_STATE_KEY is not set: challenge sessions are sealed with a per-process key (they do not survive a restart or reach another instance); set it to the same 32+ random characters on every instance',
      ),
    );
    this.caller = new FlowCaller(client, settings, this.logger);
    this.steps = new SignInSteps(this.caller, crypto, jwt, clock);
    const hosted = settings.flows?.hostedUi;
    this.hostedUi = hosted
      ? new HostedUi(hosted, {
          clientId: this.caller.clientId,
          clientSecret: this.caller.clientSecret,
          crypto,
          now: clock,
          timeoutMs: settings.cognitoTimeoutMs,
          retryAfterSeconds: settings.retryAfterSeconds,
          logger: this.logger,
        })
      : undefined;
  }

  /**
   * Signs a user in with `USER_PASSWORD_AUTH`, or `USER_SRP_AUTH` when `srp` is set.
   *
   * @throws InvalidCredentialsError 401: wrong password or unknown user (one answer for both)
   * @throws UserNotConfirmedError 403, PasswordResetRequiredError 403, LimitExceededError 429, AuthUnavailableError 503
   */
  async login(credentials: LoginInput): Promise<FlowResult> {
    const { username, password, srp } = input.loginInput(credentials);
    if (IMPOSSIBLE_PASSWORD.test(password)) throw new InvalidCredentialsError();
    const out = srp
      ? await srpLogin(this.caller, this.settings.userPoolId, username, password)
      : await this.caller.call(
          'login',
          (abortSignal) =>
            this.client.send(
              new InitiateAuthCommand({
                AuthFlow: 'USER_PASSWORD_AUTH',
                ClientId: this.caller.clientId,
                AuthParameters: { USERNAME: username, PASSWORD: password, ...this.caller.secretHashParam(username) },
              }),
              { abortSignal },
            ),
          [password],
        );
    return this.steps.result(out, username);
  }

  /**
   * Answers the challenge a `login()` (or an earlier answer) returned.
   *
   * @throws InvalidStateError 400: a forged, expired or used session, or one for another challenge
   * @throws CodeMismatchError 400, CodeExpiredError 400, InvalidPasswordError 400, LimitExceededError 429, AuthUnavailableError 503
   */
  respondToChallenge(answer: ChallengeInput): Promise<FlowResult> {
    return this.steps.answer(input.challengeInput(answer));
  }

  /**
   * Registers a user; Cognito sends a confirmation code. Nothing is written locally.
   *
   * @throws UsernameExistsError 409, InvalidPasswordError 400 (with the policy message), LimitExceededError 429, AuthUnavailableError 503
   */
  async signUp(request: SignUpInput): Promise<SignUpResult> {
    const { username, password, attributes } = input.signUpInput(request);
    const out = await this.caller.call(
      'signUp',
      (abortSignal) =>
        this.client.send(
          new SignUpCommand({
            ClientId: this.caller.clientId,
            Username: username,
            Password: password,
            ...this.caller.secretHash(username),
            UserAttributes: Object.entries(attributes ?? {}).map(([Name, Value]) => ({ Name, Value })),
          }),
          { abortSignal },
        ),
      [password],
    );
    return out.UserConfirmed
      ? { status: 'confirmed', delivery: null }
      : { status: 'confirmation_required', delivery: delivery(out.CodeDeliveryDetails) };
  }

  /**
   * Confirms a sign-up with the code Cognito sent.
   *
   * @throws CodeMismatchError 400 (also for an unknown user), CodeExpiredError 400 (expired or used), LimitExceededError 429
   */
  async confirmSignUp(request: { username: string; code: string }): Promise<void> {
    const { username, code } = input.confirmInput(request);
    await this.caller.call(
      'confirmSignUp',
      (abortSignal) =>
        this.client.send(
          new ConfirmSignUpCommand({
            ClientId: this.caller.clientId,
            Username: username,
            ConfirmationCode: code,
            ...this.caller.secretHash(username),
          }),
          { abortSignal },
        ),
      [code],
    );
  }

  /** Sends the sign-up code again. Succeeds whether or not the user exists or is confirmed already. */
  async resendConfirmationCode(request: { username: string }): Promise<void> {
    const { username } = input.usernameInput(request);
    await this.quietly('resendCode', (abortSignal) =>
      this.client.send(
        new ResendConfirmationCodeCommand({ ClientId: this.caller.clientId, Username: username, ...this.caller.secretHash(username) }),
        { abortSignal },
      ),
    );
  }

  /** Starts a password reset (Cognito sends a code). Succeeds whether or not the user exists. */
  async forgotPassword(request: { username: string }): Promise<void> {
    const { username } = input.usernameInput(request);
    await this.quietly('forgotPassword', (abortSignal) =>
      this.client.send(
        new ForgotPasswordCommand({ ClientId: this.caller.clientId, Username: username, ...this.caller.secretHash(username) }),
        { abortSignal },
      ),
    );
  }

  /**
   * Sets a new password with the code of `forgotPassword()`.
   *
   * @throws CodeMismatchError 400 (also for an unknown user), CodeExpiredError 400, InvalidPasswordError 400, LimitExceededError 429
   */
  async confirmForgotPassword(request: { username: string; code: string; password: string }): Promise<void> {
    const { username, code, password } = input.resetInput(request);
    await this.caller.call(
      'confirmForgotPassword',
      (abortSignal) =>
        this.client.send(
          new ConfirmForgotPasswordCommand({
            ClientId: this.caller.clientId,
            Username: username,
            ConfirmationCode: code,
            Password: password,
            ...this.caller.secretHash(username),
          }),
          { abortSignal },
        ),
      [code, password],
    );
  }

  /**
   * Changes the signed-in user's password (`accessToken`: the caller's, with the
   * `aws.cognito.signin.user.admin` scope).
   *
   * @throws InvalidCredentialsError 401 (wrong old password), InvalidPasswordError 400, LimitExceededError 429
   */
  async changePassword(request: { accessToken: string; oldPassword: string; newPassword: string }): Promise<void> {
    const { oldPassword, newPassword } = input.passwordChangeInput(request);
    const accessToken = accessTokenOf(request);
    await this.caller.call(
      'changePassword',
      (abortSignal) =>
        this.client.send(
          new ChangePasswordCommand({ AccessToken: accessToken, PreviousPassword: oldPassword, ProposedPassword: newPassword }),
          { abortSignal },
        ),
      [oldPassword, newPassword, accessToken],
    );
  }

  /**
   * Signs the user out everywhere: every token of `sub` issued until now stops passing here at once
   * (`CognitoRevocationService.revokeUser`), then Cognito revokes the user's refresh tokens
   * (`GlobalSignOut` with the caller's access token; one Cognito already refused counts as done).
   */
  async globalSignOut(request: { accessToken: string; sub: string }): Promise<void> {
    const accessToken = accessTokenOf(request);
    if (typeof request.sub !== 'string' || request.sub === '')
      throw new TokenMissingError(['access'], false, 'The signed-in user is unknown');
    await this.revocation.revokeUser(request.sub);
    try {
      await this.caller.call(
        'globalSignOut',
        (abortSignal) => this.client.send(new GlobalSignOutCommand({ AccessToken: accessToken }), { abortSignal }),
        [accessToken],
      );
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return; // the token was revoked already
      throw err;
    }
  }

  /** Whether the hosted UI is configured (`flows.hostedUi.domain`). */
  get hostedUiEnabled(): boolean {
    return this.hostedUi !== undefined;
  }

  /**
   * Starts a hosted UI sign-in: redirect the browser to `url` and set the `cognito_oauth` cookie to
   * `cookie` (HttpOnly, `maxAgeSeconds`). `identityProvider` skips Cognito's chooser (e.g. `Google`).
   */
  authorizeUrl(identityProvider?: string): HostedUiStart {
    return this.requireHostedUi().start(identityProvider);
  }

  /**
   * Finishes a hosted UI sign-in: checks the state against the cookie, exchanges the code with the
   * PKCE verifier, verifies the tokens and their nonce.
   *
   * @throws InvalidStateError 400: missing or forged cookie, other state, no verifier, refused code
   */
  async callback(request: HostedUiCallback): Promise<SignedInResult> {
    const { tokens, nonce } = await this.requireHostedUi().exchange(request);
    return this.steps.signedInWith(tokens, nonce);
  }

  private requireHostedUi(): HostedUi {
    if (!this.hostedUi) throw new NotFoundException('The hosted UI is not configured (COGNITO_DOMAIN)');
    return this.hostedUi;
  }

  /**
   * A call whose refusals must not show whether the user exists: only API throttling (429) and
   * Cognito being unreachable (503) are reported; every other answer counts as done.
   */
  private async quietly(operation: FlowOperation, send: (abortSignal: AbortSignal) => Promise<unknown>): Promise<void> {
    try {
      await this.caller.attempt(operation, send);
    } catch (err) {
      const mapped = this.caller.toError(operation, err);
      if (mapped instanceof AuthUnavailableError) throw mapped;
      if (mapped instanceof LimitExceededError && API_THROTTLING.has((err as { name?: unknown } | null)?.name as string)) throw mapped;
    }
  }
}

/** The caller's access token, or 401 `token_missing` (a route in `id` mode has none to give). */
function accessTokenOf(request: { accessToken?: unknown }): string {
  const token = request?.accessToken;
  if (typeof token !== 'string' || token === '') throw new TokenMissingError(['access'], false, 'This needs the access token');
  return token;
}

function delivery(details: CodeDeliveryDetailsType | undefined): CodeDelivery | null {
  if (!details) return null;
  return {
    ...(details.Destination ? { destination: details.Destination } : {}),
    ...(details.DeliveryMedium ? { medium: details.DeliveryMedium } : {}),
    ...(details.AttributeName ? { attribute: details.AttributeName } : {}),
  };
}
