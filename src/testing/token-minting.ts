import { randomUUID } from 'node:crypto';
import { atHash, mergeClaims, signJws, type TestSigningKey } from './signing-key.helpers.js';
import type { IssueTokensOptions, RefreshTokenOwner } from './test-identity-provider.types.js';

const DEFAULT_SCOPES = ['aws.cognito.signin.user.admin'] as const;

/** The provider's side of minting: its issuer, token lifetimes and signing key. */
export interface MintContext {
  readonly issuer: string;
  readonly accessTtl: number;
  readonly idTtl: number;
  readonly key: TestSigningKey;
}

/** What both tokens of one sign-in share. */
interface Shared {
  readonly owner: RefreshTokenOwner;
  readonly issuer: string;
  readonly groups: Record<string, unknown>;
  readonly originJti: string;
  readonly eventId: string;
  readonly authTime: number;
}

/** `iat` and `exp` of a token with lifetime `ttl` (or the options' `expiresInSeconds`) from `now`. */
function timesOf(now: number, ttl: number, options: IssueTokensOptions): { iat: number; exp: number } {
  const lifetime = options.expiresInSeconds ?? ttl;
  const exp = now + lifetime;
  return { iat: lifetime > 0 ? now : exp - ttl, exp };
}

function accessPayload(s: Shared, times: { iat: number; exp: number }): Record<string, unknown> {
  return mergeClaims(
    {
      sub: s.owner.sub,
      ...s.groups,
      iss: s.issuer,
      client_id: s.owner.clientId,
      origin_jti: s.originJti,
      event_id: s.eventId,
      token_use: 'access',
      scope: (s.owner.scopes ?? DEFAULT_SCOPES).join(' '),
      auth_time: s.authTime,
      exp: times.exp,
      iat: times.iat,
      jti: randomUUID(),
      username: s.owner.username,
    },
    s.owner.accessClaims,
  );
}

function idPayload(s: Shared, times: { iat: number; exp: number }, accessToken: string): Record<string, unknown> {
  const email = s.owner.email;
  return mergeClaims(
    {
      sub: s.owner.sub,
      ...s.groups,
      ...(email !== null ? { email_verified: true } : {}),
      iss: s.issuer,
      'cognito:username': s.owner.username,
      origin_jti: s.originJti,
      aud: s.owner.clientId,
      event_id: s.eventId,
      token_use: 'id',
      auth_time: s.authTime,
      exp: times.exp,
      iat: times.iat,
      jti: randomUUID(),
      ...(email !== null ? { email } : {}),
      at_hash: atHash(accessToken),
    },
    s.owner.idClaims,
  );
}

/**
 * Signs a Cognito-shaped access token for `owner`, then the ID token with the access token's
 * `at_hash`; both share one `origin_jti` and `event_id`, as one sign-in's tokens do.
 */
export async function mintTokens(
  owner: RefreshTokenOwner,
  options: IssueTokensOptions,
  ctx: MintContext,
): Promise<{ accessToken: string; idToken: string }> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const access = timesOf(now, ctx.accessTtl, options);
  const id = timesOf(now, ctx.idTtl, options);
  const shared: Shared = {
    owner,
    issuer: ctx.issuer,
    groups: owner.groups && owner.groups.length > 0 ? { 'cognito:groups': [...owner.groups] } : {},
    originJti: randomUUID(),
    eventId: randomUUID(),
    authTime: Math.min(access.iat, id.iat),
  };
  const accessToken = await signJws(accessPayload(shared, access), ctx.key, options.header);
  const idToken = await signJws(idPayload(shared, id, accessToken), ctx.key, options.header);
  return { accessToken, idToken };
}
