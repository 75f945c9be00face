/**
 * Memory of the verified-token cache (a child process of bench/run.ts, run with --expose-gc;
 * result over IPC): a JwtValidationService with tokenCacheSize `cap` verifies `count` distinct
 * access tokens from a TestIdentityProvider started in this process, minted and verified in
 * batches so that no more than one batch of token strings is alive at a time. Heap and RSS are
 * read after two full GCs before and after. argv: cap count
 */
import 'reflect-metadata';
import { JwtValidationService, resolveCognitoSettings } from '../src/index.js';
import { issueAccessToken, libraryOptions, mintMany, runAsChild, startIdp } from './common.js';

export interface MemoryResult {
  readonly tokenCacheSize: number;
  readonly tokensVerified: number;
  readonly cachedTokens: number;
  readonly before: { rss: number; heapUsed: number };
  readonly after: { rss: number; heapUsed: number };
  readonly peakRss: number;
  readonly ms: number;
}

const cap = Number(process.argv[2] ?? 100_000);
const count = Number(process.argv[3] ?? 110_000);
const BATCH = 1000;

function settle(): { rss: number; heapUsed: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

async function main(): Promise<void> {
  const started = performance.now();
  const idp = await startIdp();
  try {
    const settings = resolveCognitoSettings(
      { ...libraryOptions(idp), tokenUse: 'access', users: false, tokenCacheSize: cap },
      () => undefined,
    );
    const service = new JwtValidationService(settings);
    await service.onModuleInit();
    // One batch through first, so that code paths and buffers exist before the baseline.
    const warm = await mintMany(10, () => issueAccessToken(idp));
    for (const t of warm) await service.verifyAccessToken(t);
    const before = settle();
    let peakRss = before.rss;
    for (let done = 0; done < count; done += BATCH) {
      const tokens = await mintMany(Math.min(BATCH, count - done), () => issueAccessToken(idp));
      await Promise.all(tokens.map((t) => service.verifyAccessToken(t)));
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const after = settle();
    const result: MemoryResult = {
      tokenCacheSize: cap,
      tokensVerified: count + warm.length,
      cachedTokens: service.cachedTokenCount,
      before,
      after,
      peakRss,
      ms: Math.round(performance.now() - started),
    };
    process.send?.({ type: 'memory', result });
  } finally {
    await idp.close();
  }
}

runAsChild(main);
