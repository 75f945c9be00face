import type { CognitoPrincipal, VerifiedTokens } from '../tokens/token.types.js';
import { isMachineToken } from '../users/machine-token.js';

const NONE: readonly string[] = Object.freeze([]);

/**
 * Builds the caller from verified claims; the ID token's claims win where both have one. Verified
 * claims are deep-frozen, so a lone token's claims and groups are shared, not copied.
 */
export function buildPrincipal(tokens: VerifiedTokens, pool = 'default'): CognitoPrincipal {
  const { access, id } = tokens;
  const idGroups = id?.['cognito:groups'] ?? NONE;
  const accessGroups = access?.['cognito:groups'] ?? NONE;
  const groups =
    accessGroups.length === 0
      ? idGroups
      : idGroups.length === 0
        ? accessGroups
        : Object.freeze([...new Set([...idGroups, ...accessGroups])]);
  return Object.freeze({
    kind: isMachineToken(tokens) ? 'machine' : 'user',
    pool,
    sub: (id ?? access)!.sub,
    username: id?.['cognito:username'] ?? access?.username,
    email: id?.email,
    groups: Object.isFrozen(groups) ? groups : Object.freeze([...groups]),
    scopes: Object.freeze(access?.scope ? access.scope.split(' ').filter(Boolean) : []),
    clientId: access?.client_id ?? id!.aud,
    claims: access && id ? Object.freeze({ ...access, ...id }) : (id ?? access)!,
  });
}
