import { randomUUID } from 'node:crypto';
import type { IssueTokensOptions, TestIdentityProvider } from './test-identity-provider.js';

/** Who a test request is made as: a user (an ID and access token pair) or a machine client. */
export interface TestPrincipal {
  /** `'user'` (default): an ID + access token pair. `'machine'`: a client-credentials access token (no `username`, `sub` = client id). */
  kind?: 'user' | 'machine';
  /** A user's `sub` (default a random UUID). A machine's `sub` is its client id: give `clientId` instead. */
  sub?: string;
  /** A user's `cognito:username` / `username`. Default the `sub`. */
  username?: string;
  /** A user's `email`; `null` leaves it out. Default `<username>@example.test`. */
  email?: string | null;
  /** The app client (a user's `aud` / `client_id`, a machine's identity). Default the provider's first client. */
  clientId?: string;
  /** A user's `cognito:groups`. */
  groups?: readonly string[];
  /** Access token scopes. Users default `aws.cognito.signin.user.admin`; machines none. */
  scopes?: readonly string[];
  /** With several providers (one per pool), the name of the pool to issue from. */
  pool?: string;
  /** Lifetime in seconds; negative gives expired tokens. Default the provider's (one hour for machines). */
  expiresInSeconds?: number;
  /** Base time in epoch seconds (for apps on an injected clock). Default now. */
  now?: number;
  /** Merged over a user's ID token claims; `undefined` removes one (e.g. `{ 'custom:tenant': 'acme' }`). */
  idClaims?: Record<string, unknown>;
  /** Merged over the access token claims; `undefined` removes one. */
  accessClaims?: Record<string, unknown>;
}

/** The tokens of a {@link TestPrincipal}. */
export interface TestPrincipalTokens {
  readonly kind: 'user' | 'machine';
  readonly sub: string;
  readonly clientId: string;
  /** The pool name it was issued from, when providers were given by name. */
  readonly pool: string | undefined;
  readonly accessToken: string;
  /** Users only. */
  readonly idToken: string | undefined;
  /** Users only; usable for a refresh against the provider. */
  readonly refreshToken: string | undefined;
}

/** One test identity provider, or several by pool name (`{ customers: idpA, staff: idpB }`). */
export type TestPools = TestIdentityProvider | Readonly<Record<string, TestIdentityProvider>>;

/** How {@link testPrincipalHeaders} carries the tokens. */
export interface TestPrincipalHeadersOptions {
  /**
   * `'headers'` (default): `ACCESSTOKEN` and `IDTOKEN` for a user (accepted in every token mode),
   * `Authorization: Bearer` for a machine. `'bearer'`: `Authorization: Bearer <access token>`,
   * plus `IDTOKEN` for a user. `'cookies'`: one `Cookie` header (the app needs `cookies.enabled`;
   * unsafe methods with CSRF on also need the `X-CSRF-Token` the app issued).
   */
  as?: 'headers' | 'bearer' | 'cookies';
  /** Send the user's refresh token too (`REFRESHTOKEN`, or the refresh cookie). Default false. */
  withRefreshToken?: boolean;
  /** Cookie names when the app changed them. Defaults `AccessToken`, `IdToken`, `RefreshToken`. */
  cookieNames?: { access?: string; id?: string; refresh?: string };
}

const DEFAULT_MACHINE_TTL_SECONDS = 3600;

/**
 * Issues real, signed tokens for a principal from a test identity provider (or from one of
 * several, by pool name), for an app's own e2e tests: users with any groups, scopes and claims,
 * and machine clients with client-credentials tokens. Works the same from CommonJS and ESM tests.
 *
 *   const tokens = await tokensFor(idp, { groups: ['admin'] });
 *   const robot = await tokensFor({ customers, staff }, { kind: 'machine', pool: 'staff', scopes: ['reports/read'] });
 */
export async function tokensFor(pools: TestPools, principal: TestPrincipal = {}): Promise<TestPrincipalTokens> {
  const { idp, pool } = pick(pools, principal.pool);
  if (principal.kind === 'machine') return machineTokens(idp, pool, principal);
  const options: IssueTokensOptions = {
    sub: principal.sub,
    username: principal.username,
    email: principal.email,
    clientId: principal.clientId,
    groups: principal.groups,
    scopes: principal.scopes,
    expiresInSeconds: principal.expiresInSeconds,
    now: principal.now,
    idClaims: principal.idClaims,
    accessClaims: principal.accessClaims,
  };
  for (const key of Object.keys(options) as (keyof IssueTokensOptions)[]) if (options[key] === undefined) delete options[key];
  const issued = await idp.issueTokens(options);
  return {
    kind: 'user',
    sub: issued.sub,
    clientId: issued.clientId,
    pool,
    accessToken: issued.accessToken,
    idToken: issued.idToken,
    refreshToken: issued.refreshToken,
  };
}

/**
 * Ready request headers for a principal (see {@link tokensFor}):
 *
 *   await request(app.getHttpServer()).get('/reports').set(await testPrincipalHeaders(idp, { groups: ['admin'] }));
 */
export async function testPrincipalHeaders(
  pools: TestPools,
  principal: TestPrincipal = {},
  options: TestPrincipalHeadersOptions = {},
): Promise<Record<string, string>> {
  return headersOf(await tokensFor(pools, principal), options);
}

/** Request headers carrying tokens already issued, as {@link testPrincipalHeaders} would. */
export function headersOf(tokens: TestPrincipalTokens, options: TestPrincipalHeadersOptions = {}): Record<string, string> {
  const refresh = options.withRefreshToken ? tokens.refreshToken : undefined;
  if (options.as === 'cookies') {
    const names = { access: 'AccessToken', id: 'IdToken', refresh: 'RefreshToken', ...options.cookieNames };
    const pairs = [`${names.access}=${tokens.accessToken}`];
    if (tokens.idToken) pairs.push(`${names.id}=${tokens.idToken}`);
    if (refresh) pairs.push(`${names.refresh}=${refresh}`);
    return { Cookie: pairs.join('; ') };
  }
  const bearer = options.as === 'bearer' || tokens.kind === 'machine';
  const headers: Record<string, string> = bearer ? { Authorization: `Bearer ${tokens.accessToken}` } : { ACCESSTOKEN: tokens.accessToken };
  if (tokens.idToken) headers.IDTOKEN = tokens.idToken;
  if (refresh) headers.REFRESHTOKEN = refresh;
  return headers;
}

/** The provider to issue from, and its pool name when providers were given by name. */
function pick(pools: TestPools, name: string | undefined): { idp: TestIdentityProvider; pool: string | undefined } {
  if (isProvider(pools)) return { idp: pools, pool: name };
  const names = Object.keys(pools);
  const chosen = name ?? (names.length === 1 ? names[0] : undefined);
  const idp = chosen !== undefined && Object.prototype.hasOwnProperty.call(pools, chosen) ? pools[chosen] : undefined;
  if (!idp || !isProvider(idp)) {
    throw new Error(
      `tokensFor: ${chosen === undefined ? 'say which pool' : `no provider for the pool "${chosen}"`} (pools: ${names.join(', ')})`,
    );
  }
  return { idp, pool: chosen };
}

/** Duck-typed, so that a CommonJS and an ESM copy of the testing entry point work together. */
function isProvider(value: unknown): value is TestIdentityProvider {
  const candidate = value as Partial<TestIdentityProvider> | null;
  return typeof candidate?.issueTokens === 'function' && typeof candidate.signToken === 'function' && typeof candidate.issuer === 'string';
}

/** A client-credentials access token, shaped as Cognito's `/oauth2/token` issues it. */
async function machineTokens(idp: TestIdentityProvider, pool: string | undefined, p: TestPrincipal): Promise<TestPrincipalTokens> {
  if (p.sub !== undefined && p.clientId !== undefined && p.sub !== p.clientId) {
    throw new Error("tokensFor: a machine token's sub is its client id; give clientId only");
  }
  const clientId = p.clientId ?? p.sub ?? idp.clientIds[0];
  const now = p.now ?? Math.floor(Date.now() / 1000);
  const lifetime = p.expiresInSeconds ?? DEFAULT_MACHINE_TTL_SECONDS;
  const exp = now + lifetime;
  const payload: Record<string, unknown> = {
    sub: clientId,
    token_use: 'access',
    scope: (p.scopes ?? []).join(' '),
    auth_time: lifetime > 0 ? now : exp - DEFAULT_MACHINE_TTL_SECONDS,
    iss: idp.issuer,
    exp,
    iat: lifetime > 0 ? now : exp - DEFAULT_MACHINE_TTL_SECONDS,
    version: 2,
    jti: randomUUID(),
    client_id: clientId,
    ...p.accessClaims,
  };
  for (const [claim, value] of Object.entries(payload)) if (value === undefined) delete payload[claim];
  const accessToken = await idp.signToken(payload);
  return { kind: 'machine', sub: clientId, clientId, pool, accessToken, idToken: undefined, refreshToken: undefined };
}
