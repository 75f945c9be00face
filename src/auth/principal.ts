import type { CognitoPrincipal, VerifiedTokens } from '../tokens/token.types.js';
import { isMachineToken } from '../users/machine-token.js';

/** Builds the caller from verified claims; the ID token's claims win where both have one. */
export function buildPrincipal(tokens: VerifiedTokens, pool = 'default'): CognitoPrincipal {
  const { access, id } = tokens;
  const claims = Object.freeze({ ...access, ...id });
  const idGroups = id?.['cognito:groups'] ?? [];
  const accessGroups = access?.['cognito:groups'] ?? [];
  const groups = accessGroups.length === 0 ? idGroups : [...new Set([...idGroups, ...accessGroups])];
  return Object.freeze({
    kind: isMachineToken(tokens) ? 'machine' : 'user',
    pool,
    sub: (id ?? access)!.sub,
    username: id?.['cognito:username'] ?? access?.username,
    email: id?.email,
    groups: Object.freeze([...groups]),
    scopes: Object.freeze(access?.scope ? access.scope.split(' ').filter(Boolean) : []),
    clientId: access?.client_id ?? id!.aud,
    claims,
  });
}
