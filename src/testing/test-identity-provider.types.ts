import type { TestSigningKey } from './signing-key.helpers.js';

/** An app client of the test user pool. */
export interface TestClient {
  readonly clientId: string;
  /** With a secret, refreshes must prove it (`SECRET_HASH` / `ClientSecret`). */
  readonly clientSecret?: string;
}

/** Options of {@link TestIdentityProvider.start}. */
export interface TestIdentityProviderOptions {
  /** `<prefix>_<id>`. Default `local_TestPool1`. */
  userPoolId?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Default `[{ clientId: 'test-client' }]`. */
  clients?: readonly TestClient[];
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (an ephemeral port; the issuer is computed after listening). */
  port?: number;
  /** Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Default 3600. */
  idTokenTtlSeconds?: number;
}

/** What {@link TestIdentityProvider.issueTokens} puts into the tokens. */
export interface IssueTokensOptions {
  /** Default a random UUID. */
  sub?: string;
  /** ID token `cognito:username`, access token `username`. Default the `sub`. */
  username?: string;
  /** ID token only; `null` leaves out `email` and `email_verified`. Default `<username>@example.test`. */
  email?: string | null;
  /** ID token `aud`, access token `client_id`; need not be a known client. Default the first client. */
  clientId?: string;
  /** `cognito:groups` in both tokens (left out when empty). */
  groups?: readonly string[];
  /** Access token `scope`. Default `['aws.cognito.signin.user.admin']`. */
  scopes?: readonly string[];
  /** Lifetime of both tokens; negative gives tokens that are already expired. Default the TTL options. */
  expiresInSeconds?: number;
  /** Base time in epoch seconds. Default now. */
  now?: number;
  /** Merged over the ID token payload; a value `undefined` removes the claim. */
  idClaims?: Record<string, unknown>;
  /** Merged over the access token payload; a value `undefined` removes the claim. */
  accessClaims?: Record<string, unknown>;
  /** Sign with this key instead of the current one. */
  key?: TestSigningKey;
  /** Merged over the JOSE header `{ alg: 'RS256', kid }` of both tokens; `undefined` removes a member. */
  header?: Record<string, unknown>;
}

/** A Cognito-shaped token set. */
export interface IssuedTokens {
  readonly accessToken: string;
  readonly idToken: string;
  /** Opaque; usable with `REFRESH_TOKEN_AUTH`, `GetTokensFromRefreshToken` and `RevokeToken`. */
  readonly refreshToken: string;
  readonly sub: string;
  readonly username: string;
  readonly clientId: string;
}

/** Whom a refresh token belongs to, and what a refresh with it issues again. */
export interface RefreshTokenOwner {
  readonly sub: string;
  readonly username: string;
  readonly clientId: string;
  readonly email: string | null;
  readonly groups?: readonly string[];
  readonly scopes?: readonly string[];
  readonly idClaims?: Record<string, unknown>;
  readonly accessClaims?: Record<string, unknown>;
}

/** Request counters; see {@link TestIdentityProvider.resetStats}. */
export interface TestIdentityProviderStats {
  /** Requests to the JWKS path (and, in `redirect` mode, to the redirect target). */
  jwksRequests: number;
  initiateAuth: number;
  getTokensFromRefreshToken: number;
  revokeToken: number;
  /** Every HTTP request. */
  requests: number;
}

/** The fields of `CognitoAuthModuleOptions` that point the library at a {@link TestIdentityProvider}. */
export interface TestIdentityProviderModuleOptions {
  userPoolId: string;
  clientId: string[];
  /** Client id to secret, for the clients that have one. */
  clientSecret?: Record<string, string>;
  region: string;
  endpoint: string;
  issuer: string;
  jwksUri: string;
}
