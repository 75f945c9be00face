import { KeyObject, randomBytes, randomUUID, webcrypto } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { COGNITO_AUTH_SETTINGS, type CognitoAuthSettings, JwtValidationService, TokenRefreshService } from '../../src/index.js';
import { TestIdentityProvider, type IssuedTokens } from '../../src/testing/index.js';
import { findLeaks } from '../support/capture-logger.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { REPO_ROOT } from '../security/support/tally.js';
import { listen, pool, sleep, WireClient } from '../security/support/wire.js';

/**
 * The soak (`npm run soak`, not in `npm test`): SOAK_TOKENS (default 1,000,000) distinct valid
 * tokens, as ID + access pairs each sent once, through the guard of a listening app, in PASSES
 * passes. Two worker threads mint (RS256 with the identity provider's key) and send; the main
 * thread only serves. Alongside, the main thread sends expired pairs with distinct refresh tokens
 * (the refresh single-flight map and recent-refresh cache) and unknown-kid tokens (the JWKS
 * refetch cooldown). Checked: every answer right; the verified-token cache, the JWKS cache and
 * the refresh maps within their bounds at every sample; the heap, measured after a full GC after
 * each pass, flat after the first pass. Bounded by SOAK_MAX_SECONDS (default 900): a run that
 * hits the limit reports how far it got and fails.
 */
const TOKENS = Number(process.env.SOAK_TOKENS ?? 1_000_000);
const PASSES = Number(process.env.SOAK_PASSES ?? 10);
const MAX_SECONDS = Number(process.env.SOAK_MAX_SECONDS ?? 900);
const WORKERS = 2;
const LANES = 8;
const REFRESH_PAIRS = Number(process.env.SOAK_REFRESH_PAIRS ?? 2000);
/** Heap growth after the first pass tolerated (bytes): well under 1 byte per token of a pass. */
const HEAP_SLACK = 16 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = (n: number) => Math.round((n / 1048576) * 10) / 10;

function fullGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

interface Sample {
  t: number;
  heapMB: number;
  rssMB: number;
  tokenCache: number;
  keyCache: number;
  refreshInFlight: number | null;
  recentRefreshes: number | null;
}

describe('soak: a million distinct valid tokens through the guard', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let port: number;
  let client: WireClient;
  let jwt: JwtValidationService;
  let refresher: TokenRefreshService;
  let settings: CognitoAuthSettings;
  let expired: IssuedTokens[];
  const workers: Worker[] = [];

  beforeAll(async () => {
    idp = await TestIdentityProvider.start();
    t = await createTestApp(idp.moduleOptions());
    port = await listen(t.app);
    client = new WireClient(port, '127.0.0.1', 8);
    jwt = t.app.get(JwtValidationService);
    refresher = t.app.get(TokenRefreshService);
    settings = t.app.get<CognitoAuthSettings>(COGNITO_AUTH_SETTINGS);
    expired = await Promise.all(
      Array.from({ length: REFRESH_PAIRS }, (_, i) => idp.issueTokens({ sub: `soak-refresh-${i}`, expiresInSeconds: -60 })),
    );
    const pem = KeyObject.from(idp.currentKey.privateKey as webcrypto.CryptoKey).export({ type: 'pkcs8', format: 'pem' }) as string;
    for (let w = 0; w < WORKERS; w++) {
      workers.push(
        new Worker(new URL('./mint-worker.mjs', import.meta.url), {
          workerData: {
            port,
            pem,
            kid: idp.currentKey.kid,
            issuer: idp.issuer,
            clientId: idp.clientIds[0],
            concurrency: LANES,
            workerId: w,
          },
        }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    for (const w of workers) w.postMessage({ type: 'close' });
    await Promise.all(workers.map((w) => w.terminate()));
    client?.close();
    await t?.close();
    await idp?.close();
  });

  /** What the refresh service holds in flight and in its recent-refresh cache. */
  function refreshMaps(): { inFlight: number | null; recent: number | null } {
    return { inFlight: refresher.inFlightRefreshCount, recent: refresher.recentRefreshCount };
  }

  function runPass(
    from: number,
    to: number,
    deadline: number,
  ): Promise<{ sent: number; ok: number; errors: number; samples: string[]; signMs: number }[]> {
    const per = Math.ceil((to - from) / WORKERS);
    return Promise.all(
      workers.map(
        (w, i) =>
          new Promise<{ sent: number; ok: number; errors: number; samples: string[]; signMs: number }>((resolve, reject) => {
            const onMessage = (m: { type: string; sent: number; ok: number; errors: number; samples: string[]; signMs: number }) => {
              if (m.type !== 'done') return;
              w.off('message', onMessage);
              w.off('error', reject);
              resolve(m);
            };
            w.on('message', onMessage);
            w.once('error', reject);
            w.postMessage({ type: 'run', from: from + i * per, to: Math.min(to, from + (i + 1) * per), deadline });
          }),
      ),
    );
  }

  it(
    `${TOKENS} distinct valid tokens in ${PASSES} passes: every answer right, caches bounded, heap flat after the first pass`,
    async () => {
      const pairs = Math.floor(TOKENS / 2);
      const perPass = Math.ceil(pairs / PASSES);
      const started = Date.now();
      const deadline = started + MAX_SECONDS * 1000;
      const samples: Sample[] = [];
      const violations: string[] = [];
      const sample = () => {
        const m = process.memoryUsage();
        const maps = refreshMaps();
        const s: Sample = {
          t: Math.round((Date.now() - started) / 100) / 10,
          heapMB: MB(m.heapUsed),
          rssMB: MB(m.rss),
          tokenCache: jwt.cachedTokenCount,
          keyCache: jwt.cachedKeyCount,
          refreshInFlight: maps.inFlight,
          recentRefreshes: maps.recent,
        };
        if (s.tokenCache > settings.tokenCacheSize)
          violations.push(`verified-token cache ${s.tokenCache} > ${settings.tokenCacheSize} at ${s.t}s`);
        if (s.keyCache > 64) violations.push(`JWKS cache ${s.keyCache} keys at ${s.t}s`);
        if (s.recentRefreshes !== null && s.recentRefreshes > 1000) violations.push(`recent-refresh cache ${s.recentRefreshes} at ${s.t}s`);
        if (s.refreshInFlight !== null && s.refreshInFlight > 2)
          violations.push(`refresh in-flight map ${s.refreshInFlight} at ${s.t}s (2 refreshes at a time are sent)`);
        samples.push(s);
      };
      const timer = setInterval(sample, 2000);

      // Side load on the main thread: expired pairs with distinct refresh tokens, and unknown kids.
      let running = true;
      const side = { refreshOk: 0, refreshWrong: [] as string[], unknownKid: 0, unknownWrong: [] as string[] };
      const sent: string[] = [];
      let refreshIndex = 0;
      const refreshLoop = pool([0, 1], 2, async () => {
        while (running && refreshIndex < expired.length) {
          const tk = expired[refreshIndex++];
          const res = await client.send({
            method: 'GET',
            path: '/t/me',
            headers: { ACCESSTOKEN: tk.accessToken, IDTOKEN: tk.idToken, REFRESHTOKEN: tk.refreshToken },
          });
          if (res.status === 200 && (JSON.parse(res.body) as { sub?: string }).sub === tk.sub && res.headers.accesstoken) side.refreshOk++;
          else side.refreshWrong.push(`${res.status} ${res.body.slice(0, 120)}`);
          if (refreshIndex % 20 === 0) sent.push(tk.accessToken, tk.refreshToken);
          // The first 1200 in a rush (the recent-refresh cache, 1000 entries for 10 s, must hit its
          // bound), the rest spread over the run.
          if (refreshIndex > 1200) await sleep(250);
        }
      });
      const unknownLoop = (async () => {
        while (running) {
          const tok = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: `soak-${randomUUID()}` })).toString('base64url')}.e30.${randomBytes(256).toString('base64url')}`;
          const res = await client.send({ method: 'GET', path: '/t/me', headers: { ACCESSTOKEN: tok, IDTOKEN: expired[0].idToken } });
          if (res.status === 401 && (JSON.parse(res.body) as { code?: string }).code === 'token_invalid') side.unknownKid++;
          else side.unknownWrong.push(`${res.status} ${res.body.slice(0, 120)}`);
          await sleep(100);
        }
      })();

      const heap = { before: MB(fullGc()), afterPass: [] as number[] };
      const passes: { pass: number; pairs: number; seconds: number; tokensPerSecond: number; heapAfterGcMB: number }[] = [];
      let totalPairs = 0;
      let totalOk = 0;
      let totalErrors = 0;
      let signMs = 0;
      const errorSamples: string[] = [];
      sample();
      for (let p = 0; p < PASSES && Date.now() < deadline; p++) {
        const passStart = Date.now();
        const from = p * perPass;
        const results = await runPass(from, Math.min(pairs, from + perPass), deadline);
        const n = results.reduce((a, r) => a + r.sent, 0);
        totalPairs += n;
        totalOk += results.reduce((a, r) => a + r.ok, 0);
        totalErrors += results.reduce((a, r) => a + r.errors, 0);
        signMs += results.reduce((a, r) => a + r.signMs, 0);
        errorSamples.push(...results.flatMap((r) => r.samples));
        const seconds = (Date.now() - passStart) / 1000;
        const h = MB(fullGc());
        heap.afterPass.push(h);
        sample();
        passes.push({ pass: p + 1, pairs: n, seconds, tokensPerSecond: Math.round((2 * n) / seconds), heapAfterGcMB: h });
        process.stdout.write(
          `soak pass ${p + 1}/${PASSES}: ${2 * n} tokens in ${seconds.toFixed(1)} s (${Math.round((2 * n) / seconds)} tokens/s), heap after GC ${h} MB, token cache ${jwt.cachedTokenCount}\n`,
        );
      }
      running = false;
      await Promise.all([refreshLoop, unknownLoop]);
      clearInterval(timer);
      sample();
      const elapsed = (Date.now() - started) / 1000;
      const heapAfter = MB(fullGc());
      const during = samples.map((s) => s.heapMB);
      const growth = Math.max(...heap.afterPass.slice(1), heap.afterPass[0] ?? 0) - (heap.afterPass[0] ?? 0);
      const leaks = findLeaks(t.logger.lines, sent);
      const tokens = 2 * totalPairs;
      const report = {
        tokens,
        target: 2 * pairs,
        loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 10) / 10),
        complete: tokens >= 2 * pairs,
        seconds: Math.round(elapsed),
        tokensPerSecond: Math.round(tokens / elapsed),
        signingCpuSeconds: Math.round(signMs / 1000),
        answersOk: 2 * totalOk,
        answersWrong: totalErrors,
        errorSamples: errorSamples.slice(0, 5),
        heapMB: {
          before: heap.before,
          duringMin: Math.min(...during),
          duringMax: Math.max(...during),
          afterEachPassAfterGc: heap.afterPass,
          after: heapAfter,
          growthAfterFirstPass: Math.round(growth * 10) / 10,
          driftSecondToLastPass:
            heap.afterPass.length > 1 ? Math.round((heap.afterPass[heap.afterPass.length - 1] - heap.afterPass[1]) * 10) / 10 : 0,
        },
        bounds: {
          tokenCacheSize: settings.tokenCacheSize,
          maxTokenCacheSeen: Math.max(...samples.map((s) => s.tokenCache)),
          jwksKeysSeen: [...new Set(samples.map((s) => s.keyCache))],
          maxRefreshInFlightSeen: Math.max(...samples.map((s) => s.refreshInFlight ?? 0)),
          maxRecentRefreshesSeen: Math.max(...samples.map((s) => s.recentRefreshes ?? 0)),
          jwksFetches: idp.stats.jwksRequests,
          refreshCalls: idp.stats.initiateAuth,
        },
        side,
        violations,
        passes,
        samples,
        logLinesLeakingTokens: leaks.length,
      };
      mkdirSync(path.join(REPO_ROOT, 'test-output'), { recursive: true });
      writeFileSync(path.join(REPO_ROOT, 'test-output', 'soak-report.json'), `${JSON.stringify(report, null, 2)}\n`);
      const { samples: _s, passes: _p, ...summary } = report;
      process.stdout.write(`\nsoak summary (test-output/soak-report.json):\n${JSON.stringify(summary, null, 2)}\n`);

      expect(violations).toEqual([]);
      expect(totalErrors).toBe(0);
      expect(side.refreshWrong).toEqual([]);
      expect(side.unknownWrong).toEqual([]);
      expect(leaks).toEqual([]);
      expect(jwt.cachedKeyCount).toBe(1);
      // At most one JWKS fetch per cooldown however many unknown kids came (plus the start-up one).
      expect(idp.stats.jwksRequests).toBeLessThanOrEqual(2 + Math.floor((elapsed * 1000) / settings.jwksRefetchCooldownMs));
      expect(growth * 1048576).toBeLessThan(HEAP_SLACK);
      expect({ tokens, complete: report.complete }).toEqual({ tokens: 2 * pairs, complete: true });
    },
    (MAX_SECONDS + 300) * 1000,
  );
});
