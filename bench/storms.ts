/**
 * The storms of `npm run bench` (concurrent requests, one socket each, all sent at once) against
 * the Express bench app: a refresh storm (Cognito calls), a first-login storm (rows created), a
 * new signing key (JWKS fetches), and the cold start of a fresh server process (JWKS fetches).
 */
import type { TestIdentityProvider } from '../src/testing/index.js';
import { issue, mintMany } from './common.js';
import { burst, type Headers } from './load.js';
import { BenchServer } from './processes.js';
import type { StormResult } from './report.js';
import { headersFor, PEERS, type RouteDef } from './routes.js';

const REFRESH_N = 100;
const COLD_N = 500;
/** Users of the first-login storm, each sending this many requests at once. */
export const LOGIN_USERS = 300;
const LOGIN_REQUESTS_PER_USER = 2;

/** The storms' sizes, for the results' config. */
export const STORM_SIZES = {
  refreshStormRequests: REFRESH_N,
  coldStartRequests: COLD_N,
  loginStormUsers: LOGIN_USERS,
  loginRequestsPerUser: LOGIN_REQUESTS_PER_USER,
};

/** A refresh storm per guard mode: one expired pair and its refresh token; Cognito InitiateAuth calls. */
async function refreshStorms(idp: TestIdentityProvider, server: BenchServer, byId: ReadonlyMap<string, RouteDef>): Promise<StormResult[]> {
  const out: StormResult[] = [];
  for (const id of ['/access', '/id-access']) {
    const route = byId.get(id);
    if (!route) continue;
    const expired = await issue(idp, { expiresInSeconds: -120 });
    const headers = { ...headersFor(route, expired), refreshtoken: expired.refreshToken };
    const calls = idp.stats.initiateAuth;
    const { sampleHeaders, ...rest } = await burst(
      server.base + route.path,
      Array.from({ length: REFRESH_N }, () => headers),
    );
    const note =
      typeof sampleHeaders.accesstoken === 'string'
        ? 'new tokens in the ACCESSTOKEN / IDTOKEN response headers'
        : 'no ACCESSTOKEN header in the answer';
    out.push({
      scenario: `refresh storm ${REFRESH_N}`,
      route: id,
      ...rest,
      counted: 'Cognito InitiateAuth calls',
      count: idp.stats.initiateAuth - calls,
      note,
    });
  }
  return out;
}

/** A first-login storm per user sync database: new users, several requests each at once; rows created. */
async function loginStorms(idp: TestIdentityProvider, server: BenchServer, byId: ReadonlyMap<string, RouteDef>): Promise<StormResult[]> {
  const out: StormResult[] = [];
  for (const id of ['/sync-postgres', '/sync-sqlite']) {
    const route = byId.get(id);
    if (!route?.database) continue;
    const users = await mintMany(LOGIN_USERS, () => issue(idp));
    const headerSets: Headers[] = [];
    for (let k = 0; k < LOGIN_REQUESTS_PER_USER; k++) for (const u of users) headerSets.push(headersFor(route, u));
    const before = (await server.info()).rows[route.database] ?? 0;
    const { sampleHeaders: _unused, ...rest } = await burst(server.base + route.path, headerSets);
    const after = (await server.info()).rows[route.database] ?? 0;
    const note = `${LOGIN_USERS} new users × ${LOGIN_REQUESTS_PER_USER} concurrent requests each`;
    out.push({
      scenario: `first-login storm ${LOGIN_USERS} users`,
      route: id,
      ...rest,
      counted: 'rows created',
      count: after - before,
      note,
    });
  }
  return out;
}

/** A key no verifier has seen yet: N concurrent tokens signed by it (the old key stays published); JWKS fetches per guard. */
async function newKeyStorms(idp: TestIdentityProvider, server: BenchServer, byId: ReadonlyMap<string, RouteDef>): Promise<StormResult[]> {
  const out: StormResult[] = [];
  await idp.rotateKey();
  const rotated = await mintMany(COLD_N, () => issue(idp));
  for (const id of ['/access', ...PEERS]) {
    const route = byId.get(id);
    if (!route) continue;
    const fetches = idp.stats.jwksRequests;
    const { sampleHeaders: _unused, ...rest } = await burst(
      server.base + route.path,
      rotated.map((t) => headersFor(route, t)),
    );
    out.push({
      scenario: `new signing key, ${COLD_N} tokens`,
      route: id,
      ...rest,
      counted: 'JWKS fetches',
      count: idp.stats.jwksRequests - fetches,
    });
  }
  return out;
}

/** Refresh, first-login and new-signing-key storms on the running Express app. */
export async function storms(idp: TestIdentityProvider, server: BenchServer, byId: ReadonlyMap<string, RouteDef>): Promise<StormResult[]> {
  return [
    ...(await refreshStorms(idp, server, byId)),
    ...(await loginStorms(idp, server, byId)),
    ...(await newKeyStorms(idp, server, byId)),
  ];
}

/** A fresh server process per guard, N concurrent requests as soon as it listens; JWKS fetches. */
export async function coldStarts(idp: TestIdentityProvider, routes: readonly RouteDef[]): Promise<StormResult[]> {
  const out: StormResult[] = [];
  const tokens = await mintMany(COLD_N, () => issue(idp));
  for (const id of ['/access', ...PEERS]) {
    const route = routes.find((r) => r.id === id)!;
    idp.resetStats();
    const cold = await BenchServer.start({ mode: 'cold', idp: { endpoint: idp.endpoint, jwksUri: idp.jwksUri } });
    try {
      const atStartup = idp.stats.jwksRequests;
      const { sampleHeaders: _unused, ...rest } = await burst(
        cold.base + route.path,
        tokens.map((t) => headersFor(route, t)),
      );
      const during = idp.stats.jwksRequests - atStartup;
      // The app always holds CognitoAuthModule, which fetches once at start-up: that fetch is the
      // library's, so it counts for /access and not for the peers.
      const mine = id === '/access';
      const note = mine ? `${atStartup} during start-up, ${during} during the burst` : `${during} during the burst`;
      out.push({
        scenario: `cold start ${COLD_N}`,
        route: id,
        ...rest,
        counted: 'JWKS fetches',
        count: mine ? atStartup + during : during,
        note,
      });
    } finally {
      await cold.stop();
    }
  }
  return out;
}
