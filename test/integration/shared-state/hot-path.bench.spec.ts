/**
 * A figure, not a test: throughput of a repeated-token route with the Redis store on versus off
 * (the in-memory store). Skipped unless NCA_BENCH=1:
 *
 *   NCA_BENCH=1 NODE_OPTIONS=--experimental-vm-modules npx jest test/integration/shared-state/hot-path.bench
 *
 * Two instances in this process (their own modules), interleaved rounds (off, on, on, off, ...)
 * of autocannon on `GET /t/claims` with one cached ID + access pair; the medians and their ratio
 * are printed. Nothing is asserted on timings: whether the hot path waits for Redis is the
 * three-instance spec's job (it counts store calls: none).
 */
import autocannon from 'autocannon';
import request from 'supertest';
import { TestIdentityProvider } from '../../../src/testing/index.js';
import { IdpFront, type Instance, startInstance } from '../../support/instances.js';
import { dropPrefix, SHARED_REDIS_URL, TEST_STATE_KEY, uniquePrefix } from '../../support/redis.js';
import { seedHeaders } from '../../support/test-app.js';

const ROUNDS = Number(process.env.NCA_BENCH_ROUNDS ?? 6);
const DURATION_S = Number(process.env.NCA_BENCH_DURATION ?? 3);
const bench = process.env.NCA_BENCH === '1' ? it : it.skip;

async function rps(url: string, headers: Record<string, string>): Promise<number> {
  const result = await autocannon({ url: `${url}/t/claims`, headers, connections: 16, duration: DURATION_S });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.total / DURATION_S;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

describe('hot path with the Redis store on versus off', () => {
  bench(
    'throughput ratio (printed)',
    async () => {
      const idp = await TestIdentityProvider.start();
      const front = await IdpFront.start(idp);
      const prefix = uniquePrefix('bench');
      const instances: Instance[] = [];
      try {
        const off = await startInstance('memory', { idp, front });
        instances.push(off);
        const on = await startInstance('redis', { idp, front, redis: { url: SHARED_REDIS_URL, prefix, stateKey: TEST_STATE_KEY } });
        instances.push(on);
        const headers = seedHeaders(await idp.issueTokens());
        for (const i of instances) expect((await request(i.url).get('/t/claims').set(headers)).status).toBe(200);
        const results = { off: [] as number[], on: [] as number[] };
        for (let round = 0; round < ROUNDS; round++) {
          const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
          for (const which of order) results[which].push(await rps((which === 'on' ? on : off).url, headers));
        }
        const ratio = median(results.on) / median(results.off);
        process.stderr.write(
          `[figure] /t/claims, repeated pair, ${ROUNDS} rounds of ${DURATION_S} s: in-memory ${median(results.off).toFixed(0)} req/s ` +
            `(${results.off.map((x) => x.toFixed(0)).join(', ')}), Redis ${median(results.on).toFixed(0)} req/s ` +
            `(${results.on.map((x) => x.toFixed(0)).join(', ')}), ratio ${ratio.toFixed(3)}\n`,
        );
      } finally {
        await Promise.all(instances.map((i) => i.app.close()));
        await front.close();
        await idp.close();
        await dropPrefix(prefix);
      }
    },
    10 * 60_000,
  );
});
