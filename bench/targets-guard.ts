/** The targets read beside each platform's bare RS256 route: Fastify against Express, and the time inside the guard. */
import type { RouteSummary, Target } from './report.js';
import { f2, none, NOISY_PCT } from './targets-common.js';

/**
 * Fastify with new tokens, each platform's guard beside its own bare RS256 route: a signature costs
 * the same µs on both, but Fastify's bare request is several times cheaper, so the same check takes
 * a far larger share of it and the plain ratios cannot meet (the bare RS256 route alone does not).
 */
export function againstSignature(d: (id: string) => RouteSummary | undefined): Target[] {
  const name = "Fastify, access, new tokens: the guard's ratio over its platform's bare RS256 route, beside Express's";
  const target = 'within 5 % of the Express figure (not below 0.95 × it)';
  const [guard, bare, base, eGuard, eBare, eBase] = [
    'fastify /access',
    'fastify /rs256',
    'fastify /baseline',
    '/access',
    '/rs256',
    '/baseline',
  ].map(d);
  if (!guard || !bare || !base || !eGuard || !eBare || !eBase) return [none(name, target)];
  // One measure for all four: server CPU when any spread is over the noise limit, req/s otherwise.
  const byCpu = [guard, bare, base, eGuard, eBare, eBase].some((r) => r.spreadPct > NOISY_PCT);
  const ratio = (r: RouteSummary): number => (byCpu ? r.cpuRatioToBaseline : r.ratioToBaseline);
  const mine = ratio(guard) / ratio(bare);
  const theirs = ratio(eGuard) / ratio(eBare);
  return [
    {
      name,
      target,
      measured: `${f2(mine)} vs Express ${f2(theirs)} (${f2(mine / theirs)}), by ${byCpu ? 'server CPU/req' : 'req/s'}; the bare RS256 route alone: ${f2(ratio(bare))} × here, ${f2(ratio(eBare))} × on Express`,
      met: mine >= 0.95 * theirs,
    },
  ];
}

/**
 * New tokens over HTTP, the guard's own work: the median wall time of a synchronous `canActivate`
 * on the server's main thread, under the round's load, beside the bare RS256 guard's on the same
 * server. Server CPU per request also holds the framework, garbage collection and the kernel's
 * loopback TCP, which move between rounds by more than the difference measured; this does not.
 */
export function insideGuard(d: (id: string) => RouteSummary | undefined): Target[] {
  const out: Target[] = [];
  for (const [id, yard, mode] of [
    ['/access', '/rs256', 'access'],
    ['/id-access', '/rs256-pair', 'id+access'],
    ['fastify /access', 'fastify /rs256', 'access, Fastify'],
  ] as const) {
    const name = `new tokens over HTTP, ${mode}: time inside canActivate (median per request, main thread)`;
    const target = `≤ 1.5 × the bare RS256 guard's (${yard})`;
    const guard = d(id)?.guardMedianNs;
    const bare = d(yard)?.guardMedianNs;
    if (guard === undefined || bare === undefined) {
      out.push(none(name, target));
      continue;
    }
    out.push({
      name,
      target,
      measured: `${f2(guard / bare)} × (${f2(guard / 1000)} vs ${f2(bare / 1000)} µs, medians over the rounds of each round's median)`,
      met: guard <= 1.5 * bare,
    });
  }
  return out;
}
