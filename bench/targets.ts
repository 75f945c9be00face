/**
 * The targets `npm run bench` reports (issue 16 and the earlier ones), each with the measured
 * value and met / not met. A miss is reported, not hidden. Where the spread of req/s over the
 * rounds exceeds 10 %, a req/s figure is judged by the server's CPU time per request instead (it
 * moves far less on a shared machine), and the table says so.
 */
import { median } from './common.js';
import type { GuardMicroResult } from './guard-micro.js';
import { instanceTargets } from './instances-report.js';
import type { InstancesResult } from './instances.js';
import type { MemoryResult } from './memory.js';
import type { RouteSummary, StormResult, Target } from './report.js';
import { PEERS } from './routes.js';
import { f2, judged, none, NOISY_PCT } from './targets-common.js';
import { againstSignature, insideGuard } from './targets-guard.js';

/** The in-process targets: the guard beside the Map guard (repeated) and the bare RS256 check (new). */
function inProcess(micro: readonly GuardMicroResult[]): Target[] {
  const at = (name: string, mode: string, token: string) => micro.find((m) => m.name === name && m.mode === mode && m.token === token);
  const noop = at('a guard returning true', '-', '-')?.ns ?? 0;
  const out: Target[] = [];
  for (const mode of ['access', 'id+access']) {
    const guard = at('CognitoGuard', mode, 'repeated');
    const map = at('SHA-256-keyed Map guard', mode, 'repeated');
    const name = `in-process, repeated token, ${mode}: ns per canActivate`;
    out.push(
      guard && map
        ? {
            name,
            target: '≤ 1.5 × the SHA-256-keyed Map guard',
            measured: `${f2(guard.ns / map.ns)} × (${guard.ns} vs ${map.ns} ns; rounds ${guard.nsMin}–${guard.nsMax} / ${map.nsMin}–${map.nsMax})`,
            met: guard.ns <= 1.5 * map.ns,
          }
        : none(name, '≤ 1.5 × the Map guard'),
    );
  }
  for (const mode of ['access', 'id+access']) {
    const guard = at('CognitoGuard', mode, 'new');
    const bare = at('bare RS256 crypto.verify', mode, 'new');
    const name = `in-process, new token, ${mode}: the guard's cost and the bare check's (each minus the true-guard's)`;
    const cost = (guard?.ns ?? 0) - noop;
    const bareCost = (bare?.ns ?? 0) - noop;
    out.push(
      guard && bare
        ? {
            name,
            target: `≤ 1.5 × the bare RS256 check (${mode === 'access' ? 'one' : 'two'} signature${mode === 'access' ? '' : 's'})`,
            measured: `${f2(cost / bareCost)} × (${Math.round(cost)} vs ${Math.round(bareCost)} ns; CPU ${guard.cpuNs} vs ${bare.cpuNs} ns; rounds ${guard.nsMin}–${guard.nsMax} / ${bare.nsMin}–${bare.nsMax})`,
            met: cost <= 1.5 * bareCost,
          }
        : none(name, '≤ 1.5 × the bare RS256 check'),
    );
  }
  return out;
}

/** Over HTTP with new tokens: the guard's CPU beside the bare RS256 route's, the peers, the pair's throughput. */
function newTokens(d: (id: string) => RouteSummary | undefined, micro: readonly GuardMicroResult[] | undefined): Target[] {
  const out: Target[] = [];
  const base = d('/baseline');
  const bareNs = (mode: string) => micro?.find((m) => m.name === 'bare RS256 crypto.verify' && m.mode === mode)?.ns;
  for (const [id, yard, mode] of [
    ['/access', '/rs256', 'access'],
    ['/id-access', '/rs256-pair', 'id+access'],
  ] as const) {
    const route = d(id);
    const bare = d(yard);
    const name = `new tokens over HTTP, ${mode}: server CPU the guard adds per request`;
    if (!route || !bare || !base) {
      out.push(none(name, `≤ 1.5 × what the bare RS256 route adds (${yard})`));
      continue;
    }
    // The ratio of the medians: a per-round ratio of two differences swings wildly when a round's yardstick is small.
    // Judged by user CPU: the kernel's share (loopback TCP, part of it the load generator's) is the same work on
    // every route but moves by tens of µs from round to round; what a guard adds is user time.
    const guardUs = route.userCpuOverBaselineUs ?? route.cpuOverBaselineUs;
    const bareUs = bare.userCpuOverBaselineUs ?? bare.cpuOverBaselineUs;
    const ratio = guardUs / bareUs;
    const total = `user + system: +${route.cpuOverBaselineUs} vs +${bare.cpuOverBaselineUs} µs (${f2(route.cpuOverBaselineUs / bare.cpuOverBaselineUs)} ×) over the baseline's ${base.serverCpuUsPerRequest} µs`;
    const ns = bareNs(mode);
    const inProcess = ns ? `; beside the in-process bare check (${f2(ns / 1000)} µs): ${f2(guardUs / (ns / 1000))} ×` : '';
    out.push({
      name,
      target: `≤ 1.5 × what the bare RS256 route adds (${yard}), in user CPU`,
      measured: `${f2(ratio)} × (+${guardUs} vs +${bareUs} µs of user CPU, medians over the rounds; ${total})${inProcess}`,
      met: ratio <= 1.5,
    });
  }
  const access = d('/access');
  for (const peerId of PEERS) {
    const peer = d(peerId);
    const name = `new tokens over HTTP, access: ahead of ${peerId.slice(1)}`;
    if (!access || !peer) {
      out.push(none(name, 'more req/s'));
      continue;
    }
    const ratio = median(access.rounds.map((r, i) => r.rps / peer.rounds[i].rps));
    const noisy = access.spreadPct > NOISY_PCT || peer.spreadPct > NOISY_PCT;
    const cpuAhead = access.serverCpuUsPerRequest < peer.serverCpuUsPerRequest;
    const text = `${f2(ratio)} × its req/s (median of per-round ratios; ${access.rpsMedian} vs ${peer.rpsMedian}, spreads ±${access.spreadPct}% / ±${peer.spreadPct}%); server CPU/req ${access.serverCpuUsPerRequest} vs ${peer.serverCpuUsPerRequest} µs`;
    out.push({
      name,
      target: 'more req/s (by CPU/req when a spread is over 10 %)',
      measured: noisy ? `${text}; judged by CPU` : text,
      met: noisy ? cpuAhead : ratio > 1,
    });
  }
  const pair = d('/id-access');
  const j = pair ? judged(pair, base) : undefined;
  out.push(
    j
      ? { name: 'new tokens over HTTP, id+access (two signatures)', target: '≥ 0.60 × baseline', measured: j.text, met: j.value >= 0.6 }
      : none('new tokens over HTTP, id+access', '≥ 0.60 × baseline'),
  );
  return out;
}

/** A repeated token over HTTP, and the same guard on Fastify and under GraphQL beside the Express figure. */
function repeated(s: (id: string) => RouteSummary | undefined, d: (id: string) => RouteSummary | undefined): Target[] {
  const out: Target[] = [];
  const wants: [string, string, number][] = [
    ['/access', 'access', 0.95],
    ['/id-access', 'id+access', 0.92],
    ['/sync-sqlite', 'user sync SQLite (user cache on)', 0.9],
    ['/sync-postgres', 'user sync PostgreSQL (user cache on)', 0.9],
  ];
  for (const [id, what, want] of wants) {
    const route = s(id);
    const name = `repeated token over HTTP, ${what}`;
    const j = route ? judged(route, s('/baseline')) : undefined;
    out.push(
      route && j
        ? { name, target: `≥ ${want.toFixed(2)} × baseline`, measured: j.text, met: j.value >= want }
        : none(name, `≥ ${want} × baseline`),
    );
  }
  const versus: [string, string, (id: string) => RouteSummary | undefined, string, string][] = [
    ['fastify /access', '/access', s, 'fastify /baseline', 'Fastify, access, repeated token'],
    ['fastify /id-access', '/id-access', s, 'fastify /baseline', 'Fastify, id+access, repeated token'],
    ['fastify /access', '/access', d, 'fastify /baseline', 'Fastify, access, new tokens'],
    ['graphql guarded', '/access', s, 'graphql open', 'GraphQL query (Apollo, Express), access, repeated token'],
    ['fastify graphql guarded', '/access', s, 'fastify graphql open', 'GraphQL query (Mercurius, Fastify), access, repeated token'],
    ['graphql guarded', '/access', d, 'graphql open', 'GraphQL query (Apollo, Express), access, new tokens'],
  ];
  for (const [id, expressId, set, baseId, what] of versus) {
    const route = set(id);
    const reference = set(expressId);
    const name = `${what}: the guard's ratio beside Express's`;
    if (!route || !reference) {
      out.push(none(name, 'within 5 % of the Express figure'));
      continue;
    }
    const mine = judged(route, set(baseId));
    const theirs = judged(reference, set('/baseline'));
    // What a guard doing nothing, and a guard only leaving the two request properties, give on the same platform.
    const prefix = id.startsWith('fastify') ? 'fastify ' : '';
    const floor = [
      set(id.includes('graphql') ? `${prefix}graphql noop` : `${prefix}/noop-guard`),
      id.includes('graphql') ? undefined : set(`${prefix}/req-props`),
    ]
      .filter((r): r is RouteSummary => r !== undefined)
      .map((r) => `${r.path} ${f2(judged(r, set(baseId)).value)} ×`)
      .join(', ');
    out.push({
      name,
      target: 'within 5 % of the Express figure (not below 0.95 × it)',
      measured: `${f2(mine.value)} × vs Express ${f2(theirs.value)} × (${f2(mine.value / theirs.value)}); the guard adds ${route.cpuOverBaselineUs} µs/req here (baseline ${set(baseId)?.serverCpuUsPerRequest} µs), ${reference.cpuOverBaselineUs} µs/req on Express${floor ? `; floor here: ${floor}` : ''}`,
      met: mine.value >= 0.95 * theirs.value,
    });
  }
  out.push(...againstSignature(d), ...insideGuard(d));
  return out;
}

/** The storms and cold start targets of the earlier issues. */
function stormTargets(storms: readonly StormResult[], loginUsers: number): Target[] {
  const out: Target[] = [];
  const cold = storms.find((x) => x.scenario.startsWith('cold start') && x.route === '/access');
  out.push(
    cold
      ? {
          name: `cold start, ${cold.requests} concurrent`,
          target: 'exactly 1 JWKS fetch',
          measured: `${cold.count} (${cold.note}); ${JSON.stringify(cold.statuses)}`,
          met: cold.count === 1 && cold.statuses['200'] === cold.requests,
        }
      : none('cold start, 500 concurrent', 'exactly 1 JWKS fetch'),
  );
  for (const x of storms.filter((y) => y.scenario.startsWith('refresh storm'))) {
    out.push({
      name: `refresh storm ${x.requests}, ${x.route}`,
      target: 'exactly 1 Cognito call',
      measured: `${x.count} call(s), ${JSON.stringify(x.statuses)}, ${Math.round(x.allAnsweredMs)} ms`,
      met: x.count === 1 && x.statuses['200'] === x.requests,
    });
  }
  if (!storms.some((x) => x.scenario.startsWith('refresh storm'))) out.push(none('refresh storm 100', 'exactly 1 Cognito call'));
  const login = storms.find((x) => x.scenario.startsWith('first-login') && x.route === '/sync-postgres');
  out.push(
    login
      ? {
          name: `first-login storm ${loginUsers} users, PostgreSQL`,
          target: `${loginUsers} rows, no error`,
          measured: `${login.count} rows, ${JSON.stringify(login.statuses)}, ${Math.round(login.allAnsweredMs)} ms`,
          met: login.count === loginUsers && login.statuses['200'] === login.requests,
        }
      : none(`first-login storm ${loginUsers} users, PostgreSQL`, `${loginUsers} rows, no error`),
  );
  return out;
}

/** The memory targets of the earlier issues: the figure at `memoryTokens` cached tokens, and the bound. */
function memoryTargets(memory: readonly (MemoryResult | { tokenCacheSize: number; error: string })[], memoryTokens: number): Target[] {
  const out: Target[] = [];
  const ok = memory.filter((m): m is MemoryResult => !('error' in m));
  const big = ok.find((m) => m.tokenCacheSize === memoryTokens);
  const mbOf = (b: number): number => Math.round(b / 1048576);
  out.push(
    big
      ? {
          name: `memory, ${big.cachedTokens.toLocaleString('en-US')} cached tokens`,
          target: 'stated; cache ≤ tokenCacheSize',
          measured: `RSS ${mbOf(big.after.rss)} MB (+${mbOf(big.after.rss - big.before.rss)} MB), heap +${mbOf(big.after.heapUsed - big.before.heapUsed)} MB`,
          met: big.cachedTokens <= big.tokenCacheSize,
        }
      : none('memory, 100,000 cached tokens', 'stated'),
  );
  const bounded = ok.filter((m) => m.tokensVerified > m.tokenCacheSize);
  if (bounded.length > 0) {
    const seen = bounded
      .map(
        (m) =>
          `${m.tokensVerified.toLocaleString('en-US')} seen → ${m.cachedTokens.toLocaleString('en-US')} cached (cap ${m.tokenCacheSize.toLocaleString('en-US')})`,
      )
      .join('; ');
    out.push({
      name: 'memory bound',
      target: 'cached ≤ tokenCacheSize when more tokens are seen',
      measured: seen,
      met: bounded.every((m) => m.cachedTokens <= m.tokenCacheSize),
    });
  }
  return out;
}

/** Every target, in the order of the issue. */
export function evaluate(input: {
  steady: readonly RouteSummary[];
  distinct: readonly RouteSummary[];
  storms: readonly StormResult[];
  memory: readonly (MemoryResult | { tokenCacheSize: number; error: string })[];
  guardMicro: readonly GuardMicroResult[] | undefined;
  instances: InstancesResult;
  memoryTokens: number;
  loginUsers: number;
}): Target[] {
  const s = (id: string) => input.steady.find((r) => r.path === id);
  const d = (id: string) => input.distinct.find((r) => r.path === id);
  return [
    ...(input.guardMicro ? inProcess(input.guardMicro) : [none('in-process guard measures', 'see the issue')]),
    ...newTokens(d, input.guardMicro),
    ...repeated(s, d),
    ...instanceTargets(input.instances),
    ...stormTargets(input.storms, input.loginUsers),
    ...memoryTargets(input.memory, input.memoryTokens),
  ];
}
