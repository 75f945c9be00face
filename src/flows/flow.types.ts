/** The challenges `CognitoAuthFlowService` answers (Cognito's `ChallengeName`s). */
export type FlowChallengeName = 'NEW_PASSWORD_REQUIRED' | 'SMS_MFA' | 'SOFTWARE_TOKEN_MFA' | 'EMAIL_OTP' | 'SELECT_MFA_TYPE' | 'MFA_SETUP';

/** What `login()` needs. */
export interface LoginInput {
  readonly username: string;
  readonly password: string;
  /** Sign in with `USER_SRP_AUTH` (the password never reaches Cognito) instead of `USER_PASSWORD_AUTH`. */
  readonly srp?: boolean;
}

/** What `respondToChallenge()` needs: the opaque session of the challenge and the answers to it. */
export interface ChallengeInput {
  /** The `session` of the challenge result, as it was handed out. */
  readonly session: string;
  /** The challenge answered; must be the one the session is for. */
  readonly challenge: string;
  /**
   * Cognito's `ChallengeResponses` names: `NEW_PASSWORD` (and `userAttributes.<name>`),
   * `SMS_MFA_CODE`, `SOFTWARE_TOKEN_MFA_CODE`, `EMAIL_OTP_CODE`, `ANSWER` (SELECT_MFA_TYPE), and for
   * MFA_SETUP `SOFTWARE_TOKEN_MFA_CODE` (and `FRIENDLY_DEVICE_NAME`). `USERNAME` and `SECRET_HASH`
   * are added by the library.
   */
  readonly answers: Readonly<Record<string, string>>;
}

/** The caller a sign-in established, from the verified ID token. */
export interface FlowUser {
  readonly sub: string;
  readonly username: string;
  readonly groups: readonly string[];
}

/** The tokens of a sign-in. */
export interface FlowTokens {
  readonly accessToken: string;
  readonly idToken: string;
  readonly refreshToken?: string;
  /** Seconds the access token lives, when Cognito said. */
  readonly expiresIn?: number;
}

/** A finished sign-in: hand `tokens` to `CognitoSessionService.signIn(res, tokens)`. */
export interface SignedInResult {
  readonly status: 'signed_in';
  readonly user: FlowUser;
  readonly tokens: FlowTokens;
}

/** Cognito wants one more step; send `session` back with the answers. */
export interface ChallengeResult {
  readonly status: 'challenge';
  readonly challenge: FlowChallengeName;
  /** Opaque, sealed with the state key, short-lived and bound to the user. */
  readonly session: string;
  /**
   * What the client needs to answer: Cognito's public challenge parameters
   * (`CODE_DELIVERY_DESTINATION`, `CODE_DELIVERY_DELIVERY_MEDIUM`, `MFAS_CAN_CHOOSE`,
   * `MFAS_CAN_SETUP`, `requiredAttributes`, `userAttributes`), and for MFA_SETUP the TOTP secret
   * to enrol (`SECRET_CODE`).
   */
  readonly parameters: Readonly<Record<string, string>>;
}

/** The outcome of `login()` and `respondToChallenge()`. */
export type FlowResult = SignedInResult | ChallengeResult;

/** Where Cognito sent a code. */
export interface CodeDelivery {
  /** Masked, e.g. `a***@e***`. */
  readonly destination?: string;
  /** `EMAIL` or `SMS`. */
  readonly medium?: string;
  readonly attribute?: string;
}

/** What `signUp()` needs. */
export interface SignUpInput {
  readonly username: string;
  readonly password: string;
  /** User attributes by Cognito name (`email`, `given_name`, `custom:team`...). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** The outcome of `signUp()`. */
export interface SignUpResult {
  /** `confirmed` when the pool confirmed the user at once (a pre-sign-up trigger). */
  readonly status: 'confirmation_required' | 'confirmed';
  readonly delivery: CodeDelivery | null;
}

/** The start of a hosted UI sign-in: redirect to `url`, keep `cookie` in the `cognito_oauth` cookie. */
export interface HostedUiStart {
  /** `<domain>/oauth2/authorize?...` with state, nonce and the S256 PKCE challenge. */
  readonly url: string;
  /** The signed value of the `cognito_oauth` cookie (state, nonce, PKCE verifier, expiry). */
  readonly cookie: string;
  /** Lifetime of that cookie. */
  readonly maxAgeSeconds: number;
}

/** What the hosted UI's callback brings back. */
export interface HostedUiCallback {
  readonly code: string;
  readonly state: string;
  /** The `cognito_oauth` cookie's value, if the browser sent it. */
  readonly cookie: string | undefined;
}
