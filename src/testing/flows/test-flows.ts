import type { IncomingMessage, ServerResponse } from 'node:http';
import { CognitoError } from '../cognito-api.handler.js';
import type { TestJwk } from '../signing-key.helpers.js';
import type { IssuedTokens, IssueTokensOptions } from '../test-identity-provider.js';
import { checkAccessToken, jwtPayload } from './access-token.js';
import * as account from './account.operations.js';
import * as auth from './auth.operations.js';
import { AuthSessions } from './auth-sessions.js';
import type { FlowsContext, TestFlowControls } from './flows-context.js';
import { type Json, notAuthorized } from './flows-wire.js';
import { TestOAuth } from './oauth.handler.js';
import { defaultPasswordPolicy } from './password-policy.js';
import { type TestCodeKind, type TestUser, type TestUserSpec, TestUserStore } from './test-users.js';
import { totpCode } from './totp.js';

/** What the flows need from the identity provider. */
export interface TestFlowsHooks {
  readonly userPoolId: string;
  readonly issuer: string;
  /** Client id to secret (`undefined`: a public client). */
  readonly clients: ReadonlyMap<string, string | undefined>;
  issueTokens(options: IssueTokensOptions): Promise<IssuedTokens>;
  signToken(payload: Record<string, unknown>): Promise<string>;
  /** The published public key of a `kid`. */
  publicKey(kid: string): TestJwk | undefined;
  /** Revokes every refresh token of `sub`. */
  revokeRefreshTokensOf(sub: string): void;
  delay(ms: number): Promise<void>;
}

type Operation = (ctx: FlowsContext, params: Json) => Json | Promise<Json>;

const OPERATIONS: Readonly<Record<string, Operation>> = {
  InitiateAuth: auth.initiateAuth,
  RespondToAuthChallenge: auth.respondToAuthChallenge,
  AssociateSoftwareToken: auth.associateSoftwareToken,
  VerifySoftwareToken: auth.verifySoftwareToken,
  SignUp: account.signUp,
  ConfirmSignUp: account.confirmSignUp,
  ResendConfirmationCode: account.resendConfirmationCode,
  ForgotPassword: account.forgotPassword,
  ConfirmForgotPassword: account.confirmForgotPassword,
  ChangePassword: account.changePassword,
  GlobalSignOut: account.globalSignOut,
};

/**
 * The user flows of the test identity provider (`idp.flows`): users with passwords, sign-in with
 * `USER_PASSWORD_AUTH` and `USER_SRP_AUTH` (SRP's server side computed here, independently of any
 * client library), every challenge (switched on per user), sign-up and password codes the test
 * reads with {@link lastCode}, TOTP, global sign-out, and the hosted UI ({@link oauth}).
 */
export class TestFlows {
  /** Switches of the Cognito operations and `/oauth2/token` (mutable). */
  readonly controls: TestFlowControls = {
    mode: 'ok',
    delayMs: 0,
    preventUserExistenceErrors: false,
    now: () => Date.now(),
    passwordPolicy: defaultPasswordPolicy(),
  };
  /** Calls per operation (`InitiateAuth`, `SignUp`..., `oauth2/token`, `oauth2/authorize`, `login`). */
  readonly calls: Record<string, number> = {};
  /** The hosted UI's endpoints and switches (`oauth.controls`). */
  readonly oauth: TestOAuth;
  private readonly users: TestUserStore;
  private readonly ctx: FlowsContext;

  constructor(private readonly hooks: TestFlowsHooks) {
    const now = (): number => this.controls.now();
    this.users = new TestUserStore(hooks.userPoolId.split('_')[1] ?? hooks.userPoolId, now);
    this.ctx = {
      users: this.users,
      sessions: new AuthSessions(now),
      controls: this.controls,
      clients: hooks.clients,
      poolName: hooks.userPoolId.split('_')[1] ?? hooks.userPoolId,
      mint: (user, clientId, options) => this.mint(user, clientId, options),
      userOfAccessToken: (token) => this.userOfAccessToken(token),
      signOut: (user) => this.signOut(user),
      count: (operation) => void (this.calls[operation] = (this.calls[operation] ?? 0) + 1),
    };
    this.oauth = new TestOAuth({ ctx: this.ctx, issuer: hooks.issuer, signToken: hooks.signToken, delay: hooks.delay });
  }

  /** Every user of the pool. */
  allUsers(): TestUser[] {
    return this.users.all();
  }

  /** Adds (or replaces) a user of the pool. */
  addUser(spec: TestUserSpec): TestUser {
    return this.users.add(spec);
  }

  /** A user by user name or e-mail. */
  user(name: string): TestUser | undefined {
    return this.users.find(name);
  }

  /** Deletes a user; true when there was one. */
  deleteUser(username: string): boolean {
    return this.users.delete(username);
  }

  /** The last code sent to `username`: `signup`, `forgot`, `SMS_MFA` or `EMAIL_OTP`. */
  lastCode(username: string, kind: TestCodeKind): string | undefined {
    return this.users.lastCode(username, kind);
  }

  /** Makes the outstanding codes (of one user, or everyone's) expired. */
  expireCodes(username?: string): void {
    this.users.expireCodes(username);
  }

  /** The current TOTP code of a user's authenticator (its enrolled secret), at `controls.now()`. */
  totpCode(username: string): string {
    const secret = this.users.find(username)?.totpSecret;
    if (!secret) throw new Error(`${username} has no TOTP secret`);
    return totpCode(secret, this.controls.now());
  }

  /** Sets every counter of {@link calls} to 0. */
  resetCalls(): void {
    for (const name of Object.keys(this.calls)) this.calls[name] = 0;
  }

  /**
   * Runs a Cognito operation of the flows; `undefined` (synchronously) when the operation is not
   * one of them (refresh flows, unknown operations), so the caller answers it.
   */
  operation(name: string, params: Json): Promise<Json | undefined> | undefined {
    const flow = params['AuthFlow'];
    if (name === 'InitiateAuth' && (flow === 'REFRESH_TOKEN_AUTH' || flow === 'REFRESH_TOKEN')) return undefined;
    const run = Object.prototype.hasOwnProperty.call(OPERATIONS, name) ? OPERATIONS[name] : undefined;
    return run ? this.run(name, run, params) : undefined;
  }

  /** True for the hosted UI's paths. */
  handlesHttp(method: string | undefined, path: string): boolean {
    return this.oauth.handles(method, path);
  }

  /** Answers a hosted UI request. */
  handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    return this.oauth.handle(req, res, url);
  }

  private async run(name: string, operation: Operation, params: Json): Promise<Json | undefined> {
    this.ctx.count(name);
    if (this.controls.delayMs > 0) await this.hooks.delay(this.controls.delayMs);
    switch (this.controls.mode) {
      case 'hang':
        return undefined;
      case 'throttle':
        throw new CognitoError('TooManyRequestsException', 'Rate exceeded');
      case 'limit-exceeded':
        throw new CognitoError('LimitExceededException', 'Attempt limit exceeded, please try after some time.');
      case 'error':
        throw new CognitoError('InternalErrorException', 'Internal server error', 500);
      default:
        return operation(this.ctx, params);
    }
  }

  private async mint(user: TestUser, clientId: string, options: { idClaims?: Json; scopes?: readonly string[] } = {}): Promise<Json> {
    const idClaims: Json = {
      ...user.attributes,
      ...(user.phoneNumber ? { phone_number: user.phoneNumber } : {}),
      ...(user.email ? { email_verified: user.emailVerified } : {}),
      ...options.idClaims,
    };
    const tokens = await this.hooks.issueTokens({
      sub: user.sub,
      username: user.username,
      email: user.email,
      clientId,
      groups: user.groups,
      idClaims,
      ...(options.scopes ? { scopes: options.scopes } : {}),
    });
    const claims = jwtPayload(tokens.accessToken);
    if (typeof claims['origin_jti'] === 'string') user.issuedOrigins.add(claims['origin_jti']);
    const lifetime = typeof claims['exp'] === 'number' && typeof claims['iat'] === 'number' ? claims['exp'] - claims['iat'] : 3600;
    return {
      AccessToken: tokens.accessToken,
      IdToken: tokens.idToken,
      RefreshToken: tokens.refreshToken,
      ExpiresIn: lifetime,
      TokenType: 'Bearer',
    };
  }

  private userOfAccessToken(token: string): TestUser {
    const claims = checkAccessToken(token, this.hooks.issuer, (kid) => this.hooks.publicKey(kid));
    const user = typeof claims['username'] === 'string' ? this.users.find(claims['username']) : undefined;
    if (!user || user.sub !== claims['sub']) notAuthorized('Invalid Access Token');
    const origin = typeof claims['origin_jti'] === 'string' ? claims['origin_jti'] : '';
    const signedOutBefore =
      user.signedOutAtMs !== undefined &&
      !user.issuedOrigins.has(origin) &&
      typeof claims['iat'] === 'number' &&
      claims['iat'] * 1000 <= user.signedOutAtMs;
    if (user.revokedOrigins.has(origin) || signedOutBefore) notAuthorized('Access Token has been revoked');
    if (!user.enabled) notAuthorized('User is disabled.');
    return user;
  }

  private signOut(user: TestUser): void {
    user.signedOutAtMs = Date.now();
    for (const origin of user.issuedOrigins) user.revokedOrigins.add(origin);
    this.hooks.revokeRefreshTokensOf(user.sub);
  }
}
