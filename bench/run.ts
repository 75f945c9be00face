/**
 * `npm run bench`: what nest-cognito-auth costs and how it compares, in one run on one machine.
 *
 * This process is the driver: it runs the TestIdentityProvider (JWKS + Cognito refresh endpoint,
 * the counters), mints the tokens, creates the PostgreSQL database, forks the bench apps
 * (bench/server.ts, Express and Fastify) and loads them with autocannon, then forks the in-process
 * measures and the three-instance specs (Redis, PostgreSQL; instances.ts), prints the tables and
 * the targets, and writes bench/results/<date>.json, latest.json, latest.md.
 *
 * Environment:
 *   BENCH_QUICK=1         smoke run (1 s per route, 2 rounds, small pools)
 *   BENCH_DURATION=3      seconds per route per round (repeated token)
 *   BENCH_ROUNDS=5        rounds (repeated and new tokens, and the in-process guard measure)
 *   BENCH_CONNECTIONS=32  autocannon connections
 *   BENCH_DISTINCT=10000  requests per route per round with new tokens
 *   BENCH_MEMORY_TOKENS=100000  cached tokens for the memory measurement
 *   BENCH_ROUTES=/baseline,/access   only these routes (ids as in the tables) in the rounds
 *   BENCH_PHASES=steady,distinct,storms,cold,guard,micro,memory,instances   a subset of the phases
 *   BENCH_NO_WRITE=1      print only, write nothing under bench/results/
 *   NCA_BENCH_ROUNDS NCA_BENCH_DURATION  the instances phase's hot-path rounds and seconds
 *                         (default BENCH_ROUNDS rounded up to even, BENCH_DURATION)
 *   REDIS_URL             Redis of the instances phase (default redis://127.0.0.1:6379)
 *   PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE  PostgreSQL (as test/support/databases.ts;
 *                         default 127.0.0.1:5432, postgres, admin database "test")
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { IssuedTokens, TestIdentityProvider } from '../src/testing/index.js';
import { issue, mintMany, round, startIdp, within } from './common.js';
import { fillCaches, type HttpBench, newTokenLoad, repeatedLoad, rounds, selfCheck, summariseAll, warmUp } from './http-phases.js';
import { guardMicro, type GuardMicroRun, memory as memoryPhase, verifierMicro } from './in-process.js';
import { type InstancesResult, instancesPhase } from './instances.js';
import type { MemoryResult } from './memory.js';
import { BenchServer, children } from './processes.js';
import { type BenchResults, renderText, type RouteSummary, type StormResult } from './report.js';
import { ROUTES, type RouteDef, type ServerName } from './routes.js';
import { gitInfo, NOTES, pgAdmin, pgAdminConfig, removeSqlite, writeResults } from './run-support.js';
import { coldStarts, LOGIN_USERS, STORM_SIZES, storms as stormPhase } from './storms.js';
import { evaluate } from './targets.js';

const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const num = (name: string, fallback: number, min: number, max: number): number => {
  const raw = env[name];
  const v = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) throw new Error(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return v;
};
const DURATION_S = num('BENCH_DURATION', QUICK ? 1 : 3, 1, 60);
const ROUNDS = Math.round(num('BENCH_ROUNDS', QUICK ? 2 : 5, 1, 10));
const CONNECTIONS = Math.round(num('BENCH_CONNECTIONS', 32, 1, 1000));
const DISTINCT = Math.round(num('BENCH_DISTINCT', QUICK ? 2000 : 10_000, 100, 100_000));
const MEMORY_TOKENS = Math.round(num('BENCH_MEMORY_TOKENS', QUICK ? 10_000 : 100_000, 1000, 1_000_000));
/** The library's default tokenCacheSize: the guards' caches are filled to it before the rounds. */
const CACHE_SIZE = 10_000;
const WARMUP_S = Math.min(2, DURATION_S);
const MICRO_MS = QUICK ? 300 : 1500;
const MICRO_POOL = QUICK ? 500 : 2000;
const GUARD_NEW = QUICK ? 500 : 2000;
const GUARD_REPEATED = QUICK ? 5000 : 20_000;
const PHASES = new Set((env.BENCH_PHASES || 'steady,distinct,storms,cold,guard,micro,memory,instances').split(',').map((x) => x.trim()));
const ONLY_ROUTES = env.BENCH_ROUTES ? new Set(env.BENCH_ROUTES.split(',').map((x) => x.trim())) : undefined;
const PARTIAL = env.BENCH_PHASES !== undefined || ONLY_ROUTES !== undefined;
const HTTP = ['steady', 'distinct', 'storms', 'cold'].some((p) => PHASES.has(p));

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// ------------------------------------------------------------------------------- cleanup

/** The PostgreSQL database to drop and the SQLite files to delete if the bench is interrupted. */
let pgToDrop: string | undefined;
let sqliteToDelete: string | undefined;

// ---------------------------------------------------------------------------------- HTTP

interface HttpResults {
  steady: RouteSummary[];
  distinct: RouteSummary[];
  storms: StormResult[];
  server: Record<string, unknown>;
}

/** Every HTTP phase, against the Express app (and the Fastify app for its routes). */
async function httpPhases(idp: TestIdentityProvider, notes: string[]): Promise<HttpResults> {
  const out: HttpResults = { steady: [], distinct: [], storms: [], server: {} };
  const sqliteFile = (sqliteToDelete = join(tmpdir(), `nca_bench_${randomBytes(6).toString('hex')}.sqlite`));
  let pgDatabase: string | undefined;
  const servers: Record<ServerName, BenchServer | undefined> = { express: undefined, fastify: undefined };
  try {
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
    const pgConfig = pgDatabase
      ? { host: a.host, port: a.port, user: a.user, password: a.password, database: pgDatabase, poolSize: 10 }
      : undefined;
    const loads = PHASES.has('steady') || PHASES.has('distinct');
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

    idp.resetStats();
    const idpAddress = { endpoint: idp.endpoint, jwksUri: idp.jwksUri };
    servers.express = await BenchServer.start({ mode: 'full', idp: idpAddress, sqliteFile, pg: pgConfig });
    out.server.startupMs = servers.express.startupMs;
    out.server.jwksFetchesAtStartup = idp.stats.jwksRequests;
    if (loads) servers.fastify = await BenchServer.start({ mode: 'fastify', idp: idpAddress });
    const served = ROUTES.filter((r) => servers[r.server]?.routes.includes(r.path));
    const byId = new Map(served.map((r) => [r.id, r]));
    const chosen = served.filter(
      (r) => !ONLY_ROUTES || ONLY_ROUTES.has(r.id) || r.baseline === r.id || [...ONLY_ROUTES].some((id) => byId.get(id)?.baseline === r.id),
    );
    const bench: HttpBench = { servers, connections: CONNECTIONS, log };
    log(`servers up: ${chosen.map((r) => r.id).join(', ')}`);
    await selfCheck(bench, chosen, repeated);

    if (loads) {
      await fillCaches(bench, chosen, fill, CACHE_SIZE);
      await warmUp(bench, chosen, repeated, WARMUP_S);
      log('caches filled, warm-up done');
    }
    if (PHASES.has('steady'))
      out.steady = summariseAll(chosen, await rounds(bench, chosen, ROUNDS, repeatedLoad(repeated, DURATION_S, CONNECTIONS), 'repeated'));
    const after = await servers.express.info();
    out.server.afterSteady = {
      rss: after.rss,
      heapUsed: after.heapUsed,
      tokenCache: after.tokenCache,
      userCache: after.userCache,
      rows: after.rows,
    };
    const distinctRoutes = chosen.filter((r) => r.distinct);
    if (PHASES.has('distinct')) {
      const runs = await rounds(bench, distinctRoutes, ROUNDS, newTokenLoad(pools, DISTINCT, CONNECTIONS, graphqlPools), 'new');
      for (const [id, list] of runs)
        for (const [i, res] of list.entries())
          if (res.tokensReused) notes.push(`new tokens, ${id} round ${i + 1}: ${res.tokensReused} requests reused a token`);
      out.distinct = summariseAll(distinctRoutes, runs);
    }
    if (servers.fastify) await servers.fastify.stop();
    servers.fastify = undefined;
    if (PHASES.has('storms')) out.storms.push(...(await stormPhase(idp, servers.express, byId)));
    await servers.express.stop();
    servers.express = undefined;
    if (PHASES.has('cold')) out.storms.push(...(await coldStarts(idp, ROUTES)));
    log('HTTP phases done');
  } finally {
    for (const server of Object.values(servers)) if (server) await server.stop();
    if (pgDatabase) {
      await pgAdmin(`DROP DATABASE IF EXISTS "${pgDatabase}" WITH (FORCE)`).catch((e: Error) =>
        notes.push(`could not drop ${pgDatabase}: ${e.message}`),
      );
      pgToDrop = undefined;
    }
    await removeSqlite(sqliteFile);
    sqliteToDelete = undefined;
  }
  return out;
}

// ------------------------------------------------------------------------------------ main

/** The child-process phases: the guard measure, the verifier micro-benchmark, memory and the three instances. */
async function childPhases(notes: string[]) {
  const guard: GuardMicroRun = PHASES.has('guard') ? await guardMicro(ROUNDS, GUARD_NEW, GUARD_REPEATED, log) : { error: 'not run' };
  const micro = PHASES.has('micro') ? await verifierMicro(MICRO_MS, MICRO_POOL, log) : { error: 'not run' };
  const memory: (MemoryResult | { tokenCacheSize: number; error: string })[] = PHASES.has('memory')
    ? await memoryPhase(MEMORY_TOKENS, log)
    : [];
  const instances: InstancesResult = PHASES.has('instances')
    ? await instancesPhase({ rounds: ROUNDS, durationS: DURATION_S, log })
    : { error: 'not run' };
  let failed = (PHASES.has('guard') && 'error' in guard) || (PHASES.has('micro') && 'error' in micro) || memory.some((m) => 'error' in m);
  // The instance specs failing, or not running, fails the command too (after everything is printed).
  if (PHASES.has('instances') && ('error' in instances || !instances.passed)) failed = true;
  if (!('error' in instances)) notes.push(...instances.problems.map((p) => `three instances: ${p}`));
  return { guard, micro, memory, instances, failed };
}

/** The machine, the library and the settings of this run, for the result document. */
function runInfo(loadStart: number[], instances: InstancesResult): Pick<BenchResults, 'machine' | 'library' | 'config'> {
  return {
    machine: {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadavgStart: loadStart.map((x) => round(x, 2)),
      loadavgEnd: loadavg().map((x) => round(x, 2)),
      totalMemMb: Math.round(totalmem() / 1048576),
    },
    library: { importedFrom: 'src/ compiled with bench/tsconfig.json into dist-bench/', ...gitInfo() },
    config: {
      quick: QUICK,
      phases: [...PHASES],
      durationS: DURATION_S,
      rounds: ROUNDS,
      distinctRounds: ROUNDS,
      connections: CONNECTIONS,
      distinctRequests: DISTINCT,
      cacheFilledTo: CACHE_SIZE,
      warmupS: WARMUP_S,
      ...STORM_SIZES,
      memoryTokens: MEMORY_TOKENS,
      pgPoolSize: 10,
      instancesHotPath: 'error' in instances ? undefined : { rounds: instances.hotPathRounds, durationS: instances.hotPathDurationS },
    },
  };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const loadStart = loadavg();
  const notes: string[] = [];
  let failed = false;
  log(
    `quick=${QUICK} duration=${DURATION_S}s rounds=${ROUNDS} connections=${CONNECTIONS} distinct=${DISTINCT} memoryTokens=${MEMORY_TOKENS} phases=${[...PHASES].join(',')}`,
  );

  let http: HttpResults = { steady: [], distinct: [], storms: [], server: {} };
  if (HTTP) {
    const idp = await startIdp();
    try {
      http = await httpPhases(idp, notes);
    } catch (err) {
      failed = true;
      notes.push(`HTTP phase failed: ${(err as Error).message.split('\n')[0]}`);
      log(`HTTP phase failed: ${(err as Error).stack ?? err}`);
    } finally {
      await idp.close();
    }
  }
  const { guard, micro, memory, instances, failed: childFailed } = await childPhases(notes);
  const targets = evaluate({
    steady: http.steady,
    distinct: http.distinct,
    storms: http.storms,
    memory,
    guardMicro: 'results' in guard ? guard.results : undefined,
    instances,
    memoryTokens: MEMORY_TOKENS,
    loginUsers: LOGIN_USERS,
  });
  notes.push(...NOTES(cpus().length, CACHE_SIZE));
  const results: BenchResults = {
    date: new Date().toISOString(),
    ...runInfo(loadStart, instances),
    steady: http.steady,
    distinct: http.distinct,
    storms: http.storms,
    guardMicro: guard,
    micro,
    memory,
    instances,
    server: http.server,
    targets,
    notes,
    durationS: Math.round((performance.now() - t0) / 1000),
  };
  process.stdout.write(`${renderText(results)}\n\nTotal ${results.durationS} s.\n`);
  if (env.BENCH_NO_WRITE !== '1' && !PARTIAL) await writeResults(results, QUICK);
  // Missed targets are reported, not failed; a phase that could not run fails the command.
  process.exit(failed || childFailed ? 1 : 0);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the child processes${pgToDrop ? ` and dropping ${pgToDrop}` : ''}`);
    for (const child of children) child.kill('SIGKILL');
    const drop = Promise.all([
      pgToDrop ? pgAdmin(`DROP DATABASE IF EXISTS "${pgToDrop}" WITH (FORCE)`).catch(() => undefined) : undefined,
      sqliteToDelete ? removeSqlite(sqliteToDelete).catch(() => undefined) : undefined,
    ]);
    void within(drop, 5000, 'drop').finally(() => process.exit(130));
  });
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});

export type { RouteDef };
