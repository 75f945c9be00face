import type { CognitoPrincipal, VerifiedTokens } from '../tokens/token.types.js';
import { isMachineToken } from '../users/machine-token.js';

const NONE: readonly string[] = Object.freeze([]);

/**
 * Builds the caller from verified claims; the ID token's claims win where both have one. Verified
 * claims are deep-frozen, so a lone token's claims and groups are shared, not copied.
 *
 * The principal's own enumerable members are the documented shape and nothing else:
 * `kind, pool, sub, username` (only when there is one, so never on a machine), `groups, scopes,
 * clientId`. That is what `JSON.stringify`, spreading and deep equality see. `email` and `claims`
 * are own members too, but not enumerable: they read as ever and are never serialised. Built once
 * per new token (then cached): a literal and two `defineProperty` calls measured cheapest
 * (`defineProperties` and `Object.create` with descriptors cost more).
 */
export function buildPrincipal(tokens: VerifiedTokens, pool = 'default'): CognitoPrincipal {
  const { access, id } = tokens;
  const idGroups = id?.['cognito:groups'] ?? NONE;
  const accessGroups = access?.['cognito:groups'] ?? NONE;
  const merged =
    accessGroups.length === 0
      ? idGroups
      : idGroups.length === 0
        ? accessGroups
        : Object.freeze([...new Set([...idGroups, ...accessGroups])]);
  const kind = isMachineToken(tokens) ? 'machine' : 'user';
  const sub = (id ?? access)!.sub;
  const username = id?.['cognito:username'] ?? access?.username;
  const groups = Object.isFrozen(merged) ? merged : Object.freeze([...merged]);
  const scopes = Object.freeze(access?.scope ? access.scope.split(' ').filter(Boolean) : []);
  const clientId = access?.client_id ?? id!.aud;
  const principal =
    username === undefined ? { kind, pool, sub, groups, scopes, clientId } : { kind, pool, sub, username, groups, scopes, clientId };
  Object.defineProperty(principal, 'email', { value: id?.email });
  Object.defineProperty(principal, 'claims', { value: access && id ? Object.freeze({ ...access, ...id }) : (id ?? access)! });
  return Object.freeze(principal) as CognitoPrincipal;
}
