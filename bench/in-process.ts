/**
 * The in-process phases of `npm run bench`, each in a child process with its own identity
 * provider: the guard measured per `canActivate` (guard-micro.ts), the verifiers per token
 * (micro.ts), and the memory of the verified-token cache (memory.ts).
 */
import type { GuardMicroResult } from './guard-micro.js';
import type { MemoryResult } from './memory.js';
import type { MicroResult } from './micro.js';
import { runChild } from './processes.js';

/** What the guard measure reported, or why it did not. */
export type GuardMicroRun =
  { rounds: number; newPerRound: number; repeatedPerRound: number; results: GuardMicroResult[] } | { error: string };

/** ns per canActivate, medians of `rounds` interleaved rounds. */
export async function guardMicro(
  rounds: number,
  newPerRound: number,
  repeatedPerRound: number,
  log: (m: string) => void,
): Promise<GuardMicroRun> {
  try {
    const r = await runChild<{ rounds: number; newPerRound: number; repeatedPerRound: number; results: GuardMicroResult[] }>(
      'guard-micro.js',
      [String(rounds), String(newPerRound), String(repeatedPerRound)],
      'guard-micro',
      600_000,
    );
    log('guard in-process measure done');
    return { rounds: r.rounds, newPerRound: r.newPerRound, repeatedPerRound: r.repeatedPerRound, results: r.results };
  } catch (err) {
    log(`guard in-process measure failed: ${(err as Error).message}`);
    return { error: (err as Error).message.split('\n')[0] };
  }
}

/** Tokens verified per second by each verifier. */
export async function verifierMicro(
  ms: number,
  pool: number,
  log: (m: string) => void,
): Promise<{ pool: number; msPerMeasurement: number; results: MicroResult[] } | { error: string }> {
  try {
    const m = await runChild<{ pool: number; msPerMeasurement: number; results: MicroResult[] }>(
      'micro.js',
      [String(ms), String(pool)],
      'micro',
      180_000,
    );
    log('micro-benchmark done');
    return { pool: m.pool, msPerMeasurement: m.msPerMeasurement, results: m.results };
  } catch (err) {
    log(`micro-benchmark failed: ${(err as Error).message}`);
    return { error: (err as Error).message.split('\n')[0] };
  }
}

/**
 * The memory of `tokens × 1.1` distinct tokens through a cache of `tokens` entries and through one
 * ten times smaller: the bound holds, and the difference is the memory of the extra entries.
 */
export async function memory(
  tokens: number,
  log: (m: string) => void,
): Promise<(MemoryResult | { tokenCacheSize: number; error: string })[]> {
  const out: (MemoryResult | { tokenCacheSize: number; error: string })[] = [];
  for (const cap of [tokens, Math.max(1000, Math.round(tokens / 10))]) {
    try {
      const r = await runChild<{ result: MemoryResult }>('memory.js', [String(cap), String(Math.round(tokens * 1.1))], 'memory', 300_000, [
        '--expose-gc',
      ]);
      out.push(r.result);
      log(`memory cap ${cap}: ${r.result.cachedTokens} cached, RSS ${Math.round(r.result.after.rss / 1048576)} MB`);
    } catch (err) {
      out.push({ tokenCacheSize: cap, error: (err as Error).message.split('\n')[0] });
      log(`memory cap ${cap} failed: ${(err as Error).message}`);
    }
  }
  return out;
}
