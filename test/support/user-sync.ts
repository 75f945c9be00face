/**
 * Test helpers for user sync specs: a CognitoAuthSettings literal with the documented defaults
 * (user sync specs need no environment) and Cognito-shaped claims.
 */
import type { CognitoAuthSettings, ResolvedUserSyncSettings } from '../../src/options/cognito-auth.options.js';
import type { CognitoAccessTokenClaims, CognitoIdTokenClaims } from '../../src/tokens/token.types.js';

export const TEST_POOL_ID = 'eu-west-1_TestPool1';
export const TEST_CLIENT_ID = 'testclient123';
export const TEST_ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${TEST_POOL_ID}`;

/** Resolved user sync settings with the documented defaults, overridden by `users`. */
export function userSyncSettings(users: Partial<ResolvedUserSyncSettings> = {}): ResolvedUserSyncSettings {
  return {
    explicit: true,
    entity: undefined,
    dataSource: undefined,
    autoCreate: true,
    lookupField: 'sub',
    tokenField: 'sub',
    fieldMapping: { sub: 'sub', email: 'email' },
    updateOnLogin: true,
    cacheTtlSeconds: 0,
    sources: { lookupField: 'users.lookupField', fieldMapping: 'users.fieldMapping' },
    ...users,
  };
}

/** Fully resolved settings with the documented defaults; `users: false` turns sync off. */
export function testSettings(
  users: Partial<ResolvedUserSyncSettings> | false = {},
  overrides: Partial<Omit<CognitoAuthSettings, 'users'>> = {},
): CognitoAuthSettings {
  return {
    userPoolId: TEST_POOL_ID,
    clientIds: [TEST_CLIENT_ID],
    clientSecrets: new Map(),
    region: 'eu-west-1',
    endpoint: undefined,
    issuers: [TEST_ISSUER],
    jwksUri: `${TEST_ISSUER}/.well-known/jwks.json`,
    tokenUse: 'id+access',
    autoRefresh: true,
    refreshTokenRotation: false,
    cookies: {
      enabled: false,
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      maxAgeSeconds: 2_592_000,
      domain: undefined,
      hostPrefix: false,
      names: { access: 'AccessToken', id: 'IdToken', refresh: 'RefreshToken' },
    },
    csrf: false,
    users: users === false ? false : userSyncSettings(users),
    clockToleranceSeconds: 5,
    maxTokenLength: 8192,
    jwksTimeoutMs: 3000,
    jwksRefetchCooldownMs: 10_000,
    cognitoTimeoutMs: 5000,
    retryAfterSeconds: 5,
    tokenCacheSize: 10_000,
    passThroughContexts: [],
    tokenExtractor: undefined,
    validate: undefined,
    sharedState: { redis: undefined, store: undefined, stateKey: undefined, revocationFailClosed: false, onlineCheckSeconds: 60 },
    ...overrides,
  };
}

/**
 * Claims as a verified token carries them: a value `undefined` in `extra` removes that claim, as
 * the test identity provider does.
 */
function withExtra<T>(base: Record<string, unknown>, extra: Record<string, unknown>): T {
  const claims: Record<string, unknown> = { ...base, ...extra };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return claims as T;
}

/**
 * Verified ID token claims of a user, with extra claims. Like Cognito's, an ID token with an
 * `email` says whether it is verified: `email_verified` is `true` unless `extra` sets it
 * (`undefined` leaves it out).
 */
export function idClaims(sub: string, extra: Record<string, unknown> = {}): CognitoIdTokenClaims {
  const now = Math.floor(Date.now() / 1000);
  const verified = 'email' in extra && !('email_verified' in extra) ? { email_verified: true } : {};
  return withExtra<CognitoIdTokenClaims>(
    {
      sub,
      iss: TEST_ISSUER,
      aud: TEST_CLIENT_ID,
      token_use: 'id',
      exp: now + 3600,
      iat: now,
      auth_time: now,
      'cognito:username': sub,
      ...verified,
    },
    extra,
  );
}

/** Verified access token claims of a user, with extra claims (`undefined` removes one). */
export function accessClaims(sub: string, extra: Record<string, unknown> = {}): CognitoAccessTokenClaims {
  const now = Math.floor(Date.now() / 1000);
  return withExtra<CognitoAccessTokenClaims>(
    { sub, iss: TEST_ISSUER, client_id: TEST_CLIENT_ID, token_use: 'access', exp: now + 3600, iat: now, username: sub, scope: 'openid' },
    extra,
  );
}
