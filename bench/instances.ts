/**
 * The `instances` phase of `npm run bench`: three app instances behaving as one on the shared
 * Redis and PostgreSQL. The measures are the jest specs of test/integration/shared-state/ (a
 * refresh storm of 300 requests over 3 instances, logout propagation, the hot path with the Redis
 * store on and off): this runs them in a child process (jest in band, so the throughput rounds do
 * not share the cores with the storms; `NCA_BENCH=1`, `REQUIRE_DB=1`), keeps the `[figure]` lines
 * they print on stderr and jest's `--json` report, and reads both (instances-figures.ts).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failuresOf, type InstanceFigures, type InstanceOutcomes, type JestReport, outcomesOf, parseFigures } from './instances-figures.js';
import { children } from './processes.js';

/** The spec files the phase runs. */
export const INSTANCE_SPECS = [
  'test/integration/shared-state/three-instances.spec.ts',
  'test/integration/shared-state/hot-path.bench.spec.ts',
] as const;

/** What the phase measured, or why it could not (`error`; `'not run'` when not asked for). */
export type InstancesResult = InstancesRun | { readonly error: string };

/** One run of the specs that produced a jest report. */
export interface InstancesRun {
  readonly specs: readonly string[];
  /** `NCA_BENCH_ROUNDS` and `NCA_BENCH_DURATION` the hot-path spec ran with. */
  readonly hotPathRounds: number;
  readonly hotPathDurationS: number;
  /** `up`, or `not reachable at host:port (reason)`, checked before the run. */
  readonly services: { readonly redis: string; readonly postgres: string };
  /** jest exited 0 and every test of both files passed. */
  readonly passed: boolean;
  /** Every failed test with its first lines, and jest's exit when not 0. */
  readonly problems: readonly string[];
  readonly durationS: number;
  readonly figures: InstanceFigures;
  readonly outcomes: InstanceOutcomes;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Resolves `up` when a TCP connection to host:port opens within `ms`, else why not. */
function probe(host: string, port: number, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (answer: string): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(ms, () => done(`not reachable at ${host}:${port} (no answer within ${ms} ms)`));
    socket.once('connect', () => done('up'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(`not reachable at ${host}:${port} (${err.code ?? err.message})`));
  });
}

/** Redis (REDIS_URL, as test/support/redis.ts) and PostgreSQL (PGHOST, PGPORT, as test/support/databases.ts). */
async function services(): Promise<{ redis: string; postgres: string }> {
  const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const [redis, postgres] = await Promise.all([
    probe(redisUrl.hostname || '127.0.0.1', Number(redisUrl.port || 6379)),
    probe(process.env.PGHOST ?? '127.0.0.1', Number(process.env.PGPORT ?? 5432)),
  ]);
  return { redis, postgres };
}

interface JestExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly figureLines: string[];
  /** The last non-empty lines of its output, for a run that left no report. */
  readonly tail: string;
  readonly timedOut: boolean;
}

/** Runs jest on the specs; resolves when it exits (killed after `timeoutMs`). */
function runJest(env: NodeJS.ProcessEnv, reportFile: string, timeoutMs: number): Promise<JestExit> {
  const args = ['--experimental-vm-modules', join(repoRoot, 'node_modules/jest/bin/jest.js')];
  args.push('--runInBand', '--forceExit', '--json', `--outputFile=${reportFile}`, ...INSTANCE_SPECS);
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const figureLines: string[] = [];
  let pending = '';
  let tail = '';
  child.stderr.on('data', (chunk: Buffer) => {
    const text = pending + chunk.toString('utf8');
    const lines = text.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('[figure] ')) figureLines.push(line.trimEnd());
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  });
  child.stdout.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      children.delete(child);
      if (pending.startsWith('[figure] ')) figureLines.push(pending.trimEnd());
      const last = tail.split('\n').filter((l) => l.trim() !== '');
      resolve({ code, signal, figureLines, tail: last.slice(-3).join(' | '), timedOut });
    };
    child.once('error', (err) => {
      tail += `\n${err.message}`;
      finish(null, null);
    });
    child.once('close', finish);
  });
}

async function readReport(file: string): Promise<JestReport | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as JestReport;
  } catch {
    return undefined;
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * Runs the shared-state specs and reads their figures. Never throws: a service down, a timeout or
 * a run without a report comes back as `{ error }`, a failed test as a problem of the run.
 */
export async function instancesPhase(opts: { rounds: number; durationS: number; log: (m: string) => void }): Promise<InstancesResult> {
  const started = performance.now();
  try {
    const up = await services();
    if (up.redis !== 'up') return { error: `Redis ${up.redis}` };
    // The hot-path spec alternates which store goes first: an even count gives each the first slot as often.
    const rounds = Number(process.env.NCA_BENCH_ROUNDS || opts.rounds + (opts.rounds % 2));
    const durationS = Number(process.env.NCA_BENCH_DURATION || opts.durationS);
    const env = { NCA_BENCH: '1', REQUIRE_DB: '1', NCA_BENCH_ROUNDS: String(rounds), NCA_BENCH_DURATION: String(durationS) };
    const reportFile = join(tmpdir(), `nca_bench_jest_${randomBytes(6).toString('hex')}.json`);
    opts.log(`instances: jest ${INSTANCE_SPECS.join(' ')} (hot path ${rounds} rounds of ${durationS} s)`);
    const exit = await runJest(env, reportFile, 300_000 + rounds * durationS * 2 * 1000);
    const report = await readReport(reportFile);
    if (exit.timedOut) return { error: `the specs did not finish within ${Math.round((300 + rounds * durationS * 2) / 60)} min` };
    if (!report) return { error: `jest exited ${exit.code ?? exit.signal} without a report: ${exit.tail}` };
    const problems = failuresOf(report);
    if (exit.code !== 0 && problems.length === 0) problems.push(`jest exited ${exit.code ?? exit.signal}: ${exit.tail}`);
    if (up.postgres !== 'up') problems.unshift(`PostgreSQL ${up.postgres}`);
    const run: InstancesRun = {
      specs: [...INSTANCE_SPECS],
      hotPathRounds: rounds,
      hotPathDurationS: durationS,
      services: up,
      passed: exit.code === 0 && report.success,
      problems,
      durationS: Math.round((performance.now() - started) / 1000),
      figures: parseFigures(exit.figureLines),
      outcomes: outcomesOf(report),
    };
    opts.log(`instances: ${run.passed ? 'passed' : `failed (${problems.join('; ')})`}, ${run.figures.lines.length} figure lines`);
    return run;
  } catch (err) {
    opts.log(`instances phase failed: ${(err as Error).stack ?? err}`);
    return { error: (err as Error).message.split('\n')[0] };
  }
}
