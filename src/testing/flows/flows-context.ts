import type { AuthSessions } from './auth-sessions.js';
import type { Json } from './flows-wire.js';
import type { TestPasswordPolicy } from './password-policy.js';
import type { TestUser, TestUserStore } from './test-users.js';

/**
 * How the flow operations (and `/oauth2/token`) answer. `ok`: normal. `throttle`: 400
 * `TooManyRequestsException` (429 at `/oauth2/token`). `limit-exceeded`: 400
 * `LimitExceededException`. `error`: 500 `InternalErrorException`. `hang`: no answer until `close()`.
 */
export type TestFlowMode = 'ok' | 'throttle' | 'limit-exceeded' | 'error' | 'hang';

/** Switches of the flows; change them at any time. */
export interface TestFlowControls {
  mode: TestFlowMode;
  /** Milliseconds to wait before answering. Default 0. */
  delayMs: number;
  /**
   * Cognito's `PreventUserExistenceErrors`: an unknown user signs in as a wrong password does
   * (`NotAuthorizedException`) instead of `UserNotFoundException`. Default false.
   */
  preventUserExistenceErrors: boolean;
  /** The clock of codes and sessions (epoch ms). Default `Date.now`. */
  now: () => number;
  /** The pool's password policy. Default Cognito's (8 characters, upper, lower, digit, symbol). */
  passwordPolicy: TestPasswordPolicy;
}

/** What the flow operations share. */
export interface FlowsContext {
  readonly users: TestUserStore;
  readonly sessions: AuthSessions;
  readonly controls: TestFlowControls;
  /** Client id to secret (`undefined`: a public client). */
  readonly clients: ReadonlyMap<string, string | undefined>;
  /** The pool id's part after `_`, as SRP uses it. */
  readonly poolName: string;
  /** Mints tokens for `user` (a recorded refresh token included) as an `AuthenticationResult`. */
  mint(user: TestUser, clientId: string, options?: { idClaims?: Json; scopes?: readonly string[] }): Promise<Json>;
  /** The user of a valid, unrevoked access token with the admin scope, or `NotAuthorizedException`. */
  userOfAccessToken(token: string): TestUser;
  /** Signs the user out everywhere: refresh tokens revoked, access tokens refused. */
  signOut(user: TestUser): void;
  /** Counts a call. */
  count(operation: string): void;
}
