/**
 * The HTTP phases of `npm run bench` (steady, distinct, storms, cold): the PostgreSQL database and
 * SQLite files of the user sync routes (removed at the end, and on an interrupt), the tokens, the
 * bench apps (Express, and Fastify for its routes), the routes chosen, the rounds and the storms.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IssuedTokens, TestIdentityProvider } from '../src/testing/index.js';
import { issue, mintMany } from './common.js';
import { fillCaches, type HttpBench, newTokenLoad, repeatedLoad, rounds, selfCheck, summariseAll, warmUp } from './http-phases.js';
import { BenchServer } from './processes.js';
import type { RouteSummary, StormResult } from './report.js';
import { ROUTES, type RouteDef, type ServerName } from './routes.js';
import { CACHE_SIZE, CONNECTIONS, DISTINCT, DURATION_S, log, ONLY_ROUTES, PHASES, ROUNDS, WARMUP_S } from './run-config.js';
import { pgAdmin, pgAdminConfig, removeSqlite } from './run-support.js';
import type { ServerConfig } from './server-protocol.js';
import { coldStarts, storms as stormPhase } from './storms.js';

export interface HttpResults {
  steady: RouteSummary[];
  distinct: RouteSummary[];
  storms: StormResult[];
  server: Record<string, unknown>;
}

type Servers = Record<ServerName, BenchServer | undefined>;

/** The tokens of the HTTP phases, minted before any server starts. */
interface Tokens {
  readonly repeated: IssuedTokens;
  /** Other tokens, to fill the guards' caches before the rounds. */
  readonly fill: IssuedTokens[];
  /** Per round of the new-token phase: token sets no route has seen. */
  readonly pools: IssuedTokens[][];
  readonly graphqlPools: IssuedTokens[][];
}

// ------------------------------------------------------------------------------- cleanup

/** The PostgreSQL database to drop and the SQLite files to delete if the bench is interrupted. */
let pgToDrop: string | undefined;
let sqliteToDelete: string | undefined;

/** The PostgreSQL database an interrupt would leave behind, if any. */
export function leftoverDatabase(): string | undefined {
  return pgToDrop;
}

/** Drops the database and deletes the SQLite files of an interrupted run (errors ignored). */
export function dropLeftovers(): Promise<unknown> {
  return Promise.all([
    pgToDrop ? pgAdmin(`DROP DATABASE IF EXISTS "${pgToDrop}" WITH (FORCE)`).catch(() => undefined) : undefined,
    sqliteToDelete ? removeSqlite(sqliteToDelete).catch(() => undefined) : undefined,
  ]);
}

// ------------------------------------------------------------------------------- set-up

/** A fresh PostgreSQL database for /sync-postgres; undefined, with a note, when PostgreSQL is not reachable. */
async function createPgDatabase(notes: string[]): Promise<ServerConfig['pg']> {
  let pgDatabase: string | undefined;
  try {
    const name = `nca_bench_${randomBytes(6).toString('hex')}`;
    await pgAdmin(`CREATE DATABASE "${name}"`);
    pgDatabase = pgToDrop = name;
  } catch (err) {
    notes.push(
      `PostgreSQL not reachable at ${pgAdminConfig().host}:${pgAdminConfig().port} (${(err as Error).message}): /sync-postgres and its storm skipped.`,
    );
  }
  const a = pgAdminConfig();
  return pgDatabase ? { host: a.host, port: a.port, user: a.user, password: a.password, database: pgDatabase, poolSize: 10 } : undefined;
}

async function mintTokens(idp: TestIdentityProvider, loads: boolean): Promise<Tokens> {
  const t = performance.now();
  const repeated = await issue(idp);
  const fill = loads ? await mintMany(CACHE_SIZE + CONNECTIONS, () => issue(idp)) : [];
  const pools: IssuedTokens[][] = [];
  // The GraphQL field shares its app's cache with /access: it gets token sets of its own, or the
  // second of the two in a round would send tokens that cache has already seen.
  const graphqlPools: IssuedTokens[][] = [];
  const graphql = !ONLY_ROUTES || [...ONLY_ROUTES].some((id) => id.includes('graphql'));
  for (let r = 0; PHASES.has('distinct') && r < ROUNDS; r++) {
    pools.push(await mintMany(DISTINCT + CONNECTIONS + 16, () => issue(idp)));
    if (graphql) graphqlPools.push(await mintMany(DISTINCT + CONNECTIONS + 16, () => issue(idp)));
  }
  log(
    `minted ${fill.length} + ${ROUNDS} × ${pools[0]?.length ?? 0} (+ as many for GraphQL) token sets in ${Math.round(performance.now() - t)} ms`,
  );
  return { repeated, fill, pools, graphqlPools };
}

/** The routes the servers serve, and of those the ones BENCH_ROUTES asks for with their baselines. */
function chooseRoutes(servers: Servers): { chosen: RouteDef[]; byId: Map<string, RouteDef> } {
  const served = ROUTES.filter((r) => servers[r.server]?.routes.includes(r.path));
  const byId = new Map(served.map((r) => [r.id, r]));
  const chosen = served.filter(
    (r) => !ONLY_ROUTES || ONLY_ROUTES.has(r.id) || r.baseline === r.id || [...ONLY_ROUTES].some((id) => byId.get(id)?.baseline === r.id),
  );
  return { chosen, byId };
}

// ------------------------------------------------------------------------------- phases

/** The repeated-token and new-token rounds (after filling the caches and a warm-up), and the server's state between them. */
async function loadRounds(bench: HttpBench, chosen: readonly RouteDef[], tokens: Tokens, out: HttpResults, notes: string[]): Promise<void> {
  const express = bench.servers.express!;
  if (PHASES.has('steady') || PHASES.has('distinct')) {
    await fillCaches(bench, chosen, tokens.fill, CACHE_SIZE);
    await warmUp(bench, chosen, tokens.repeated, WARMUP_S);
    log('caches filled, warm-up done');
  }
  if (PHASES.has('steady'))
    out.steady = summariseAll(
      chosen,
      await rounds(bench, chosen, ROUNDS, repeatedLoad(tokens.repeated, DURATION_S, CONNECTIONS), 'repeated'),
    );
  const after = await express.info();
  out.server.afterSteady = {
    rss: after.rss,
    heapUsed: after.heapUsed,
    tokenCache: after.tokenCache,
    userCache: after.userCache,
    rows: after.rows,
  };
  const distinctRoutes = chosen.filter((r) => r.distinct);
  if (PHASES.has('distinct')) {
    const load = newTokenLoad(tokens.pools, DISTINCT, CONNECTIONS, tokens.graphqlPools);
    const runs = await rounds(bench, distinctRoutes, ROUNDS, load, 'new');
    for (const [id, list] of runs)
      for (const [i, res] of list.entries())
        if (res.tokensReused) notes.push(`new tokens, ${id} round ${i + 1}: ${res.tokensReused} requests reused a token`);
    out.distinct = summariseAll(distinctRoutes, runs);
  }
}

/** Starts the servers and runs every chosen phase on them; `servers` holds what is still running. */
async function runOnServers(
  idp: TestIdentityProvider,
  notes: string[],
  servers: Servers,
  sqliteFile: string,
  pg: ServerConfig['pg'],
): Promise<HttpResults> {
  const out: HttpResults = { steady: [], distinct: [], storms: [], server: {} };
  const loads = PHASES.has('steady') || PHASES.has('distinct');
  const tokens = await mintTokens(idp, loads);
  idp.resetStats();
  const idpAddress = { endpoint: idp.endpoint, jwksUri: idp.jwksUri };
  const express = (servers.express = await BenchServer.start({ mode: 'full', idp: idpAddress, sqliteFile, pg }));
  out.server.startupMs = express.startupMs;
  out.server.jwksFetchesAtStartup = idp.stats.jwksRequests;
  if (loads) servers.fastify = await BenchServer.start({ mode: 'fastify', idp: idpAddress });
  const { chosen, byId } = chooseRoutes(servers);
  const bench: HttpBench = { servers, connections: CONNECTIONS, log };
  log(`servers up: ${chosen.map((r) => r.id).join(', ')}`);
  await selfCheck(bench, chosen, tokens.repeated);
  await loadRounds(bench, chosen, tokens, out, notes);
  if (servers.fastify) await servers.fastify.stop();
  servers.fastify = undefined;
  if (PHASES.has('storms')) out.storms.push(...(await stormPhase(idp, express, byId)));
  await express.stop();
  servers.express = undefined;
  if (PHASES.has('cold')) out.storms.push(...(await coldStarts(idp, ROUTES)));
  return out;
}

/** Every HTTP phase, against the Express app (and the Fastify app for its routes). */
export async function httpPhases(idp: TestIdentityProvider, notes: string[]): Promise<HttpResults> {
  const sqliteFile = (sqliteToDelete = join(tmpdir(), `nca_bench_${randomBytes(6).toString('hex')}.sqlite`));
  let pg: ServerConfig['pg'];
  const servers: Servers = { express: undefined, fastify: undefined };
  try {
    pg = await createPgDatabase(notes);
    const out = await runOnServers(idp, notes, servers, sqliteFile, pg);
    log('HTTP phases done');
    return out;
  } finally {
    for (const server of Object.values(servers)) if (server) await server.stop();
    if (pg) {
      const { database } = pg;
      await pgAdmin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch((e: Error) =>
        notes.push(`could not drop ${database}: ${e.message}`),
      );
      pgToDrop = undefined;
    }
    await removeSqlite(sqliteFile);
    sqliteToDelete = undefined;
  }
}
