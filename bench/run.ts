/**
 * `npm run bench`: what nest-cognito-auth costs and how it compares, in one run on one machine.
 *
 * This process is the driver: it runs the TestIdentityProvider (JWKS + Cognito refresh endpoint,
 * the counters), mints the tokens, creates the PostgreSQL database, forks the bench apps
 * (bench/server.ts, Express and Fastify) and loads them with autocannon, then forks the in-process
 * measures and the three-instance specs (Redis, PostgreSQL; instances.ts), prints the tables and
 * the targets, and writes bench/results/<date>.json, latest.json, latest.md. The settings are
 * read in run-config.ts; the HTTP phases run in run-http.ts.
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
import { cpus, loadavg, totalmem } from 'node:os';
import { round, startIdp, within } from './common.js';
import { guardMicro, type GuardMicroRun, memory as memoryPhase, verifierMicro } from './in-process.js';
import { type InstancesResult, instancesPhase } from './instances.js';
import type { MemoryResult } from './memory.js';
import { children } from './processes.js';
import { type BenchResults, renderText } from './report.js';
import {
  CACHE_SIZE,
  CONNECTIONS,
  DISTINCT,
  DURATION_S,
  GUARD_NEW,
  GUARD_REPEATED,
  HTTP,
  log,
  MEMORY_TOKENS,
  MICRO_MS,
  MICRO_POOL,
  NO_WRITE,
  PARTIAL,
  PHASES,
  QUICK,
  ROUNDS,
  WARMUP_S,
} from './run-config.js';
import { dropLeftovers, httpPhases, type HttpResults, leftoverDatabase } from './run-http.js';
import { gitInfo, NOTES, writeResults } from './run-support.js';
import { LOGIN_USERS, STORM_SIZES } from './storms.js';
import { evaluate } from './targets.js';

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
  if (!NO_WRITE && !PARTIAL) await writeResults(results, QUICK);
  // Missed targets are reported, not failed; a phase that could not run fails the command.
  process.exit(failed || childFailed ? 1 : 0);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    const database = leftoverDatabase();
    log(`${signal}: stopping the child processes${database ? ` and dropping ${database}` : ''}`);
    for (const child of children) child.kill('SIGKILL');
    void within(dropLeftovers(), 5000, 'drop').finally(() => process.exit(130));
  });
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
