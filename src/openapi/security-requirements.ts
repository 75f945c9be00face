import type { TokenUse } from '../auth/authenticator.types.js';
import { COGNITO_SECURITY_SCHEMES as S, type CognitoSecuritySchemeName } from './cognito-security.schemes.js';

/** One OpenAPI security requirement: every scheme named must be satisfied (AND). */
export type SecurityRequirement = Readonly<Partial<Record<CognitoSecuritySchemeName, readonly string[]>>>;

const both = (a: CognitoSecuritySchemeName, b: CognitoSecuritySchemeName): SecurityRequirement => ({ [a]: [], [b]: [] });
const one = (a: CognitoSecuritySchemeName): SecurityRequirement => ({ [a]: [] });

/** The ways to send the access token alone: Bearer, the ACCESSTOKEN header, its cookie. */
function accessAlone(cookies: boolean): SecurityRequirement[] {
  return [one(S.bearer), one(S.headers), ...(cookies ? [one(S.cookies)] : [])];
}

/** The ways to send the ID token alone: the IDTOKEN header, its cookie. */
function idAlone(cookies: boolean): SecurityRequirement[] {
  return [one(S.headersId), ...(cookies ? [one(S.cookiesId)] : [])];
}

/** The ways to send the pair: the access token by Bearer or header with the IDTOKEN header, or both cookies. */
function pair(cookies: boolean): SecurityRequirement[] {
  return [both(S.bearer, S.headersId), both(S.headers, S.headersId), ...(cookies ? [both(S.cookies, S.cookiesId)] : [])];
}

/**
 * The security requirements (alternatives, OR) of a guarded route, from the tokens its mode needs:
 * `id+access` the pair, `access` the access token, `id` the ID token, `any` either token (the
 * guard reads the same slots for users and machine callers). Cookie schemes appear only when the
 * app reads tokens from cookies.
 */
export function securityRequirements(mode: TokenUse, cookies: boolean): SecurityRequirement[] {
  switch (mode) {
    case 'access':
      return accessAlone(cookies);
    case 'id':
      return idAlone(cookies);
    case 'any':
      return [...accessAlone(cookies), ...idAlone(cookies)];
    default:
      return pair(cookies);
  }
}
