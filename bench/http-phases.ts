/**
 * The HTTP phases of `npm run bench`, against the Express and Fastify bench apps: self-check,
 * filling the guards' caches, warm-up, the interleaved rounds (a repeated token, or a new token
 * on every request), and the summaries of the rounds.
 */
import type { IssuedTokens } from '../src/testing/index.js';
import { median, round } from './common.js';
import { distinct, get, type Headers, type RunResult, steady } from './load.js';
import type { BenchServer } from './processes.js';
import type { RouteSummary } from './report.js';
import { headersFor, order, type RouteDef, type ServerName } from './routes.js';

/** The running bench apps, and how the rounds are run. */
export interface HttpBench {
  readonly servers: Readonly<Record<ServerName, BenchServer | undefined>>;
  readonly connections: number;
  readonly log: (message: string) => void;
}

function serverOf(bench: HttpBench, route: RouteDef): BenchServer {
  const server = bench.servers[route.server];
  if (!server) throw new Error(`no ${route.server} server for ${route.id}`);
  return server;
}

/** Routes whose guard passes anyone: the baselines and the diagnostics. */
const unguarded = (route: RouteDef): boolean => route.baseline === route.id || /\/noop-guard$|\/req-props$| noop$/.test(route.id);

/** Every guard refuses no token and accepts the bench token; a pair route refuses the access token alone. */
export async function selfCheck(bench: HttpBench, routes: readonly RouteDef[], tokens: IssuedTokens): Promise<void> {
  for (const route of routes) {
    const url = serverOf(bench, route).base + route.path;
    const ok = await get(url, headersFor(route, tokens), route.shape);
    const none = await get(url, {}, route.shape);
    // GraphQL answers 200 either way: a refusal is an error in the body with our code.
    const refused = route.shape ? none.body.includes('"token_missing"') : none.status === 401;
    const accepted = ok.status === 200 && (!route.shape || ok.body.includes('true'));
    if (!accepted || (unguarded(route) ? none.status !== 200 : !refused)) {
      throw new Error(
        `self-check ${route.id}: with token ${ok.status} ${ok.body.slice(0, 200)}, without ${none.status} ${none.body.slice(0, 200)}`,
      );
    }
    if (route.auth === 'pair' && !route.id.includes('rs256')) {
      const alone = await get(url, { accesstoken: tokens.accessToken });
      if (alone.status !== 401) throw new Error(`self-check ${route.id} with the access token only: ${alone.status}, want 401`);
    }
  }
}

/**
 * Fills every CognitoGuard route's verified-token cache (10,000 entries by default) with other
 * tokens, so that the rounds run against a full cache, as on a server that has seen many users
 * (a cache hit, and an eviction, cost what they cost at that size). User sync routes also create
 * a row per user.
 */
export async function fillCaches(
  bench: HttpBench,
  routes: readonly RouteDef[],
  fill: readonly IssuedTokens[],
  cacheSize: number,
): Promise<void> {
  const seen = new Set<string>();
  for (const route of routes.filter((r) => r.cognito)) {
    // The GraphQL field and /access share the app's CognitoAuthModule (one cache).
    const cache = `${route.server} ${route.path === '/graphql' ? '/access' : route.path}`;
    if (seen.has(cache)) continue;
    seen.add(cache);
    const n = route.auth === 'pair' ? cacheSize / 2 : cacheSize;
    const res = await distinct(
      serverOf(bench, route).base + route.path,
      fill.slice(0, n + bench.connections).map((t) => headersFor(route, t)),
      n,
      bench.connections,
      route.shape,
    );
    bench.log(`filled ${route.id}: ${res.requests} new tokens, ${res.rps} req/s${res.non2xx ? `, non-2xx ${res.non2xx}` : ''}`);
  }
}

/** Warm-up: JIT, connection pools, the lazy peers' key sets. */
export async function warmUp(bench: HttpBench, routes: readonly RouteDef[], tokens: IssuedTokens, seconds: number): Promise<void> {
  for (const route of routes)
    await steady(serverOf(bench, route).base + route.path, headersFor(route, tokens), seconds, bench.connections, route.shape);
}

/** What one round of one route runs. */
export type Load = (url: string, route: RouteDef, r: number) => Promise<RunResult>;

/** The repeated-token load: every request carries the same token(s). */
export function repeatedLoad(tokens: IssuedTokens, seconds: number, connections: number): Load {
  return (url, route) => steady(url, headersFor(route, tokens), seconds, connections, route.shape);
}

/**
 * The new-token load: `amount` requests, each with a token set of round r's pool never sent to the
 * route's cache before; GraphQL routes (which share their app's cache with /access) take theirs
 * from `graphqlPools`.
 */
export function newTokenLoad(
  pools: readonly (readonly IssuedTokens[])[],
  amount: number,
  connections: number,
  graphqlPools: readonly (readonly IssuedTokens[])[] = [],
): Load {
  return (url, route, r) =>
    distinct(
      url,
      (route.path === '/graphql' && graphqlPools[r] ? graphqlPools[r] : pools[r]).map((t) => headersFor(route, t)),
      amount,
      connections,
      route.shape,
    );
}

/** `rounds` rounds over the routes, interleaved (rotated, every other round reversed); the runs per route id. */
export async function rounds(
  bench: HttpBench,
  routes: readonly RouteDef[],
  count: number,
  load: Load,
  what: string,
): Promise<Map<string, RunResult[]>> {
  const runs = new Map<string, RunResult[]>(routes.map((r) => [r.id, []]));
  for (let r = 0; r < count; r++) {
    for (const route of order(routes, r, count)) {
      const server = serverOf(bench, route);
      const res = await server.measured(() => load(server.base + route.path, route, r), route.database, route.path);
      runs.get(route.id)!.push(res);
      const sql = res.sqlPerRequest !== undefined ? ` ${res.sqlPerRequest} SQL/req` : '';
      bench.log(
        `${what} round ${r + 1}/${count} ${route.id.padEnd(24)} ${String(res.rps).padStart(6)} req/s p50 ${res.p50} ms p99 ${res.p99} ms server ${res.serverCpuUsPerRequest} µs/req${sql}${res.non2xx ? ` non-2xx ${res.non2xx}` : ''}`,
      );
    }
  }
  return runs;
}

/** One route over its rounds, each round against its baseline's run of the same round. */
export function summarise(route: RouteDef, runs: readonly RunResult[], baseline: readonly RunResult[]): RouteSummary {
  const rps = runs.map((r) => r.rps);
  const med = median(rps);
  const cpu = (r: RunResult): number => r.serverCpuUsPerRequest ?? Number.NaN;
  const user = (r: RunResult): number => r.serverUserCpuUsPerRequest ?? Number.NaN;
  return {
    path: route.id,
    label: route.label,
    rounds: runs,
    rpsMedian: round(med),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    spreadPct: round(((Math.max(...rps) - Math.min(...rps)) / 2 / med) * 100, 1),
    p50: round(median(runs.map((r) => r.p50)), 2),
    p99: round(median(runs.map((r) => r.p99)), 2),
    ratioToBaseline: round(median(runs.map((r, i) => r.rps / baseline[i].rps)), 3),
    serverCpuUsPerRequest: round(median(runs.map(cpu)), 1),
    cpuRatioToBaseline: round(median(runs.map((r, i) => cpu(baseline[i]) / cpu(r))), 3),
    cpuOverBaselineUs: round(median(runs.map((r, i) => cpu(r) - cpu(baseline[i]))), 1),
    userCpuUsPerRequest: round(median(runs.map(user)), 1),
    userCpuOverBaselineUs: round(median(runs.map((r, i) => user(r) - user(baseline[i]))), 1),
    ...(runs[0]?.guardMedianNs !== undefined ? { guardMedianNs: round(median(runs.map((r) => r.guardMedianNs ?? Number.NaN))) } : {}),
    gcUsPerRequest: round(median(runs.map((r) => r.serverGcUsPerRequest ?? Number.NaN)), 1),
    ...(runs[0]?.sqlPerRequest !== undefined ? { sqlPerRequest: round(median(runs.map((r) => r.sqlPerRequest ?? Number.NaN)), 3) } : {}),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors, 0),
  };
}

/** The summaries of rounds run over `routes`, each against its own baseline. */
export function summariseAll(routes: readonly RouteDef[], runs: Map<string, RunResult[]>): RouteSummary[] {
  return routes.filter((r) => runs.has(r.baseline)).map((route) => summarise(route, runs.get(route.id)!, runs.get(route.baseline)!));
}

export type { Headers };
