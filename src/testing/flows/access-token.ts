import { createPublicKey, verify } from 'node:crypto';
import type { TestJwk } from '../signing-key.helpers.js';
import { notAuthorized } from './flows-wire.js';

/** The scope Cognito's user operations need (`ChangePassword`, `GlobalSignOut`...). */
const ADMIN_SCOPE = 'aws.cognito.signin.user.admin';

function decodeSegment(segment: string | undefined): Record<string, unknown> | undefined {
  if (!segment) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The payload of a JWT, unverified (for values the provider minted itself). */
export function jwtPayload(token: string): Record<string, unknown> {
  return decodeSegment(token.split('.')[1]) ?? {};
}

/**
 * The claims of an access token as AWS checks it for a user operation: RS256 signature by a
 * published key, issuer, `token_use`, expiry (real time: tokens are minted on it) and the admin
 * scope; `NotAuthorizedException` otherwise. Revocation is the caller's to check.
 */
export function checkAccessToken(token: string, issuer: string, keyOf: (kid: string) => TestJwk | undefined): Record<string, unknown> {
  const [h, p, s] = token.split('.');
  const header = decodeSegment(h);
  const claims = decodeSegment(p);
  if (!header || !claims || !s || header['alg'] !== 'RS256' || typeof header['kid'] !== 'string') notAuthorized('Invalid Access Token');
  const jwk = keyOf(header['kid']);
  const signed =
    jwk !== undefined &&
    verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
  if (!signed || claims['iss'] !== issuer || claims['token_use'] !== 'access') notAuthorized('Invalid Access Token');
  if (typeof claims['exp'] !== 'number' || claims['exp'] * 1000 <= Date.now()) notAuthorized('Access Token has expired');
  if (typeof claims['scope'] !== 'string' || !claims['scope'].split(' ').includes(ADMIN_SCOPE))
    notAuthorized('Access Token does not have required scopes');
  return claims;
}
