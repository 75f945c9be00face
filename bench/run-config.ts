/**
 * The settings of a `npm run bench` run, read once from the environment (the variables are listed
 * in bench/run.ts and bench/README.md), and the driver's log line.
 */
const env = process.env;

export const QUICK = env.BENCH_QUICK === '1';
const num = (name: string, fallback: number, min: number, max: number): number => {
  const raw = env[name];
  const v = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) throw new Error(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return v;
};
export const DURATION_S = num('BENCH_DURATION', QUICK ? 1 : 3, 1, 60);
export const ROUNDS = Math.round(num('BENCH_ROUNDS', QUICK ? 2 : 5, 1, 10));
export const CONNECTIONS = Math.round(num('BENCH_CONNECTIONS', 32, 1, 1000));
export const DISTINCT = Math.round(num('BENCH_DISTINCT', QUICK ? 2000 : 10_000, 100, 100_000));
export const MEMORY_TOKENS = Math.round(num('BENCH_MEMORY_TOKENS', QUICK ? 10_000 : 100_000, 1000, 1_000_000));
/** The library's default tokenCacheSize: the guards' caches are filled to it before the rounds. */
export const CACHE_SIZE = 10_000;
export const WARMUP_S = Math.min(2, DURATION_S);
export const MICRO_MS = QUICK ? 300 : 1500;
export const MICRO_POOL = QUICK ? 500 : 2000;
export const GUARD_NEW = QUICK ? 500 : 2000;
export const GUARD_REPEATED = QUICK ? 5000 : 20_000;
export const PHASES = new Set(
  (env.BENCH_PHASES || 'steady,distinct,storms,cold,guard,micro,memory,instances').split(',').map((x) => x.trim()),
);
export const ONLY_ROUTES = env.BENCH_ROUTES ? new Set(env.BENCH_ROUTES.split(',').map((x) => x.trim())) : undefined;
export const PARTIAL = env.BENCH_PHASES !== undefined || ONLY_ROUTES !== undefined;
export const HTTP = ['steady', 'distinct', 'storms', 'cold'].some((p) => PHASES.has(p));
export const NO_WRITE = env.BENCH_NO_WRITE === '1';

export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
