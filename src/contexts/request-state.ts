import type { CognitoAuthError } from '../errors/cognito-auth.errors.js';
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

/** What authenticating a request came to: its state, or the error to answer with. */
export type AuthOutcome = { state: CognitoRequestState; error?: undefined } | { state?: undefined; error: CognitoAuthError };

/**
 * A request as the guard and decorators see it. One slot holds the outcome while it is being
 * established (a promise, so a second guard run waits for the first) and once it is known.
 */
export interface CognitoRequest {
  [COGNITO_REQUEST_STATE]?: AuthOutcome | Promise<AuthOutcome>;
  user?: unknown;
}

/** The state of an authenticated request, or undefined (anonymous, refused, or no guard ran). */
export function getRequestState(req: unknown): CognitoRequestState | undefined {
  const slot = (req as CognitoRequest | undefined)?.[COGNITO_REQUEST_STATE];
  return slot instanceof Promise ? undefined : slot?.state;
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
    groups: Object.freeze(groups),
    scopes: Object.freeze(access?.scope ? access.scope.split(' ').filter(Boolean) : []),
    clientId: access?.client_id ?? id!.aud,
    claims,
  });
}
