import type { CognitoPrincipal, VerifiedTokens } from '../tokens/token.types.js';

/** Where the guard keeps what it established about a request. */
export const COGNITO_REQUEST_STATE = Symbol('nest-cognito-auth:state');

/** What the guard established: the verified claims and the user (entity or principal). */
export interface CognitoRequestState {
  readonly tokens: VerifiedTokens;
  readonly principal: CognitoPrincipal;
  /** The synced entity when user sync is on, else the principal. */
  readonly user: unknown;
}

/** A request as the guard and decorators see it. */
export interface CognitoRequest {
  [COGNITO_REQUEST_STATE]?: CognitoRequestState;
  user?: unknown;
}

/** The state of an authenticated request, or undefined (anonymous, or no guard ran). */
export function getRequestState(req: unknown): CognitoRequestState | undefined {
  return (req as CognitoRequest | undefined)?.[COGNITO_REQUEST_STATE];
}

// Cached claims objects are one per token, so the principal of a token seen again is reused.
const principals = new WeakMap<object, { other: object | undefined; principal: CognitoPrincipal }>();

/** The principal of verified claims, built once per (ID, access) claims pair. */
export function principalOf(tokens: VerifiedTokens): CognitoPrincipal {
  const key = (tokens.id ?? tokens.access)!;
  const other = tokens.id ? tokens.access : undefined;
  const memo = principals.get(key);
  if (memo && memo.other === other) return memo.principal;
  const principal = buildPrincipal(tokens);
  principals.set(key, { other, principal });
  return principal;
}

/** Builds the principal from verified claims; the ID token's claims win where both have one. */
export function buildPrincipal(tokens: VerifiedTokens): CognitoPrincipal {
  const { access, id } = tokens;
  const claims = Object.freeze({ ...access, ...id });
  const groups = [...new Set([...(id?.['cognito:groups'] ?? []), ...(access?.['cognito:groups'] ?? [])])];
  return Object.freeze({
    sub: (id ?? access)!.sub,
    username: id?.['cognito:username'] ?? access?.username,
    email: id?.email,
    groups,
    scopes: access?.scope ? access.scope.split(' ').filter(Boolean) : [],
    clientId: access?.client_id ?? id!.aud,
    claims,
  });
}
