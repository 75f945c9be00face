/**
 * The bench app's side of its IPC: what it sends the driver, and its answers to the driver's
 * `mark`, `cpu`, `info` and `shutdown` messages (CPU and GC time, SQL statements, guard times,
 * memory, cache sizes, user rows).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import type { INestApplication, Type } from '@nestjs/common';
import { JwtValidationService, UserSyncService } from '../src/index.js';
import { takeGuardTimes } from './guard-timing.js';
import { closeDataSources, queryCounts, userRows } from './server-databases.js';
import type { ServerMessage } from './server-protocol.js';

/** The JwtValidationService of the app's CognitoAuthModule (the one behind /access). */
export const ROOT_JWT = Symbol('ROOT_JWT');

/** Time spent in garbage collection since start-up, µs (what the new-token routes pay for what they keep). */
let gcUs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcUs += entry.duration * 1000;
}).observe({ entryTypes: ['gc'] });

export function send(message: ServerMessage): void {
  process.send?.(message);
}

/** The verified-token and user cache sizes: the root module's (`access`) and every scope's. */
function cacheSizes(app: INestApplication, scopes: readonly Type[]) {
  const perScope = (read: (scope: Type) => number | undefined): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const scope of scopes) {
      const value = read(scope);
      if (value !== undefined) out[scope.name.replace(/^Scope_/, '')] = value;
    }
    return out;
  };
  const userCaches = () =>
    perScope((s) =>
      app.select(s).get(UserSyncService, { strict: true }).enabled
        ? app.select(s).get(UserSyncService, { strict: true }).cachedUserCount
        : undefined,
    );
  const tokenCaches = () => ({
    access: app.get<JwtValidationService>(ROOT_JWT).cachedTokenCount,
    ...perScope((s) => app.select(s).get(JwtValidationService, { strict: true }).cachedTokenCount),
  });
  return { userCaches, tokenCaches };
}

/** Answers the driver's messages until `shutdown` or a lost IPC channel ends the process. */
export function onMessages(app: INestApplication, scopes: readonly Type[]): void {
  const { userCaches, tokenCaches } = cacheSizes(app, scopes);
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'mark') {
      // The V8 CPU profiler's timestamps are CLOCK_MONOTONIC µs, as process.hrtime: a profile can be cut to a load window.
      send({ type: 'mark', monotonicUs: Number(process.hrtime.bigint() / 1000n) });
    } else if (msg.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ guards: takeGuardTimes(), type: 'cpu', cpuUs: user + system, userUs: user, gcUs, queries: queryCounts() });
    } else if (msg.type === 'info') {
      void (async () => {
        const rows = await userRows();
        const mem = process.memoryUsage();
        send({ type: 'info', rss: mem.rss, heapUsed: mem.heapUsed, tokenCache: tokenCaches(), userCache: userCaches(), rows });
      })().catch((err: unknown) => send({ type: 'error', message: String(err) }));
    } else if (msg.type === 'shutdown') {
      setTimeout(() => process.exit(0), 5000).unref();
      void (async () => {
        await app.close().catch(() => undefined);
        await closeDataSources();
        process.exit(0);
      })();
    }
  });
  process.on('disconnect', () => process.exit(0));
}
