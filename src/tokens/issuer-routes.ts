import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { acceptedIssuers, poolsOf } from '../options/pools.resolver.js';
import { ClaimsChecker } from './claims.checker.js';
import { JwksCache } from './jwks.cache.js';

/** Where the tokens of one issuer are checked: the pool it names, its key set, its pool's claim rules. */
export interface IssuerRoute {
  readonly pool: string;
  readonly jwks: JwksCache;
  readonly claims: ClaimsChecker;
}

/** A key set held for a pool (its own, or a replica's). */
export interface KeySet {
  readonly pool: string;
  readonly jwksUri: string;
  readonly cache: JwksCache;
}

/** One key set per pool (and per replica issuer), and the pool each accepted issuer leads to. */
export function buildRoutes(settings: CognitoAuthSettings, now: () => number): { routes: Map<string, IssuerRoute>; keySets: KeySet[] } {
  const routes = new Map<string, IssuerRoute>();
  const keySets: KeySet[] = [];
  const keySet = (pool: string, jwksUri: string): JwksCache => {
    const cache = new JwksCache({
      jwksUri,
      timeoutMs: settings.jwksTimeoutMs,
      cooldownMs: settings.jwksRefetchCooldownMs,
      retryAfterSeconds: settings.retryAfterSeconds,
      now,
    });
    keySets.push({ pool, jwksUri, cache });
    return cache;
  };
  for (const pool of poolsOf(settings)) {
    const claims = new ClaimsChecker({
      issuers: acceptedIssuers(pool),
      clientIds: pool.clientIds,
      clockToleranceSeconds: settings.clockToleranceSeconds,
    });
    const own = keySet(pool.name, pool.jwksUri);
    for (const issuer of pool.issuers) routes.set(issuer, { pool: pool.name, jwks: own, claims });
    for (const replica of pool.replicas) routes.set(replica.issuer, { pool: pool.name, jwks: keySet(pool.name, replica.jwksUri), claims });
  }
  return { routes, keySets };
}
