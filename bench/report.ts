/**
 * The result document of one `npm run bench` (written to bench/results/) and its rendering as
 * plain-text tables (stdout) and markdown (bench/results/latest.md, for the README).
 */
import type { GuardMicroRun } from './in-process.js';
import { instancesTable } from './instances-report.js';
import type { InstancesResult } from './instances.js';
import type { BurstResult, RunResult } from './load.js';
import type { MemoryResult } from './memory.js';
import type { MicroResult } from './micro.js';

/** One route over all rounds of one load scenario. */
export interface RouteSummary {
  readonly path: string;
  readonly label: string;
  readonly rounds: readonly RunResult[];
  /** Median of the rounds' req/s. */
  readonly rpsMedian: number;
  readonly rpsMin: number;
  readonly rpsMax: number;
  /** Half the min–max range, in % of the median. */
  readonly spreadPct: number;
  /** Medians over the rounds, ms. */
  readonly p50: number;
  readonly p99: number;
  /** Median over the rounds of (route req/s ÷ baseline req/s of the same round). */
  readonly ratioToBaseline: number;
  /** Median over the rounds of the server's CPU time per response (user + system, all threads), µs. */
  readonly serverCpuUsPerRequest: number;
  /** Median over the rounds of (baseline CPU per response ÷ this route's): the ratio CPU time predicts. */
  readonly cpuRatioToBaseline: number;
  /** Median over the rounds of (this route's CPU per response − its baseline's), µs: what the guard adds. */
  readonly cpuOverBaselineUs: number;
  /** Median over the rounds of the server's user CPU time per response (no kernel time), µs. */
  readonly userCpuUsPerRequest?: number;
  /** Median over the rounds of (this route's user CPU per response − its baseline's), µs. */
  readonly userCpuOverBaselineUs?: number;
  /** Timed guards: median over the rounds of the median wall time of a synchronous `canActivate`, ns. */
  readonly guardMedianNs?: number;
  /** Median over the rounds of the server's garbage-collection time per response, µs. */
  readonly gcUsPerRequest: number;
  /** User sync routes: median SQL statements per response. */
  readonly sqlPerRequest?: number;
  readonly non2xx: number;
  readonly errors: number;
}

export interface StormResult extends Omit<BurstResult, 'sampleHeaders'> {
  readonly scenario: string;
  readonly route: string;
  /** What was counted (JWKS fetches, Cognito calls, rows created) and its value. */
  readonly counted: string;
  readonly count: number;
  readonly note?: string;
}

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

export interface BenchResults {
  readonly date: string;
  readonly machine: { node: string; cpus: number; cpuModel: string; loadavgStart: number[]; loadavgEnd: number[]; totalMemMb: number };
  readonly library: { importedFrom: string; gitHead: string; srcDirty: boolean };
  readonly config: Record<string, unknown>;
  readonly steady: readonly RouteSummary[];
  readonly distinct: readonly RouteSummary[];
  readonly storms: readonly StormResult[];
  readonly guardMicro: GuardMicroRun;
  readonly micro: { pool: number; msPerMeasurement: number; results: readonly MicroResult[] } | { error: string };
  readonly memory: readonly (MemoryResult | { tokenCacheSize: number; error: string })[];
  /** The three-instance specs (Redis, PostgreSQL): their figures and how their tests ended. */
  readonly instances: InstancesResult;
  readonly server: Record<string, unknown>;
  readonly targets: readonly Target[];
  readonly notes: readonly string[];
  readonly durationS: number;
}

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
const mb = (bytes: number): string => fmt(bytes / 1024 / 1024, 1);

type Table = { title: string; head: string[]; rows: string[][]; align?: ('l' | 'r')[] };

function routeTable(title: string, routes: readonly RouteSummary[]): Table {
  return {
    title,
    head: [
      'route',
      'guard',
      'req/s (median)',
      'spread',
      'p50 ms',
      'p99 ms',
      '× baseline',
      'server CPU µs/req',
      '× baseline by CPU',
      'CPU µs over baseline',
      'user CPU µs over baseline',
      'canActivate µs (median)',
      'GC µs/req',
      'SQL/req',
      'non-2xx',
    ],
    align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows: routes.map((r) => [
      r.path,
      r.label,
      fmt(r.rpsMedian),
      `±${fmt(r.spreadPct, 1)}%`,
      fmt(r.p50, 2),
      fmt(r.p99, 2),
      fmt(r.ratioToBaseline, 2),
      fmt(r.serverCpuUsPerRequest, 0),
      fmt(r.cpuRatioToBaseline, 2),
      r.cpuOverBaselineUs === 0 ? '' : fmt(r.cpuOverBaselineUs, 0),
      r.userCpuOverBaselineUs === undefined || r.userCpuOverBaselineUs === 0 ? '' : fmt(r.userCpuOverBaselineUs, 0),
      r.guardMedianNs === undefined ? '' : fmt(r.guardMedianNs / 1000, 1),
      fmt(r.gcUsPerRequest, 1),
      r.sqlPerRequest === undefined ? '' : fmt(r.sqlPerRequest, 2),
      String(r.non2xx + r.errors),
    ]),
  };
}

function guardMicroTable(g: Extract<GuardMicroRun, { results: unknown }>): Table {
  return {
    title: `In-process: ns per canActivate (fresh HTTP execution context per call, caches full), medians of ${g.rounds} interleaved rounds of ${fmt(g.repeatedPerRound)} calls (repeated) / ${fmt(g.newPerRound)} calls (new tokens)`,
    head: ['guard', 'mode', 'token', 'ns (median)', 'rounds min–max', 'CPU ns (median)'],
    align: ['l', 'l', 'l', 'r', 'r', 'r'],
    rows: g.results.map((m) => [m.name, m.mode, m.token, fmt(m.ns), `${fmt(m.nsMin)}–${fmt(m.nsMax)}`, fmt(m.cpuNs)]),
  };
}

function stormTable(storms: readonly StormResult[]): Table {
  return {
    title: 'Storms (concurrent requests, one socket each)',
    head: ['scenario', 'route', 'requests', 'counted', 'count', 'statuses', 'all answered ms', 'p99 ms'],
    align: ['l', 'l', 'r', 'l', 'r', 'l', 'r', 'r'],
    rows: storms.map((s) => [
      s.scenario,
      s.route,
      String(s.requests),
      s.counted,
      String(s.count),
      Object.entries(s.statuses)
        .map(([k, v]) => `${k}×${v}`)
        .join(' '),
      fmt(s.allAnsweredMs, 0),
      fmt(s.p99, 0),
    ]),
  };
}

function microTable(micro: Extract<BenchResults['micro'], { results: unknown }>): Table {
  return {
    title: `Verification micro-benchmark: access tokens per second (pool of ${fmt(micro.pool)} distinct tokens, ${micro.msPerMeasurement} ms per figure)`,
    head: ['verifier', 'sequential', '64 at a time'],
    align: ['l', 'r', 'r'],
    rows: micro.results.map((m) => [m.verifier, fmt(m.sequential), fmt(m.concurrent64)]),
  };
}

function memoryTable(memory: BenchResults['memory']): Table {
  return {
    title: 'Memory of the verified-token cache (after 2 full GCs)',
    head: ['tokenCacheSize', 'tokens verified', 'cached', 'heap Δ MB', 'bytes/entry', 'RSS before MB', 'RSS after MB', 'peak RSS MB'],
    align: ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows: memory.map((m) =>
      'error' in m
        ? [fmt(m.tokenCacheSize), m.error, '', '', '', '', '', '']
        : [
            fmt(m.tokenCacheSize),
            fmt(m.tokensVerified),
            fmt(m.cachedTokens),
            mb(m.after.heapUsed - m.before.heapUsed),
            fmt((m.after.heapUsed - m.before.heapUsed) / Math.max(1, m.cachedTokens)),
            mb(m.before.rss),
            mb(m.after.rss),
            mb(m.peakRss),
          ],
    ),
  };
}

function tables(res: BenchResults): Table[] {
  const out: Table[] = [];
  const c = res.config;
  out.push(
    routeTable(
      `Repeated token: ${c.connections} connections, ${c.durationS} s per route per round, ${c.rounds} rounds interleaved, caches filled to ${fmt(Number(c.cacheFilledTo))}`,
      res.steady,
    ),
  );
  if (res.distinct.length > 0) {
    out.push(
      routeTable(
        `New tokens: ${fmt(Number(c.distinctRequests))} requests per route per round, each with a token never sent before, ${c.connections} connections, ${c.distinctRounds} rounds`,
        res.distinct,
      ),
    );
  }
  if ('results' in res.guardMicro) out.push(guardMicroTable(res.guardMicro));
  out.push(stormTable(res.storms));
  const instances = instancesTable(res.instances);
  if (instances) out.push(instances);
  if ('results' in res.micro) out.push(microTable(res.micro));
  out.push(memoryTable(res.memory));
  out.push({
    title: 'Targets',
    head: ['target', 'wanted', 'measured', 'met'],
    align: ['l', 'l', 'l', 'l'],
    rows: res.targets.map((t) => [t.name, t.target, t.measured, t.met === null ? 'n/a' : t.met ? 'yes' : 'NO']),
  });
  return out;
}

/** Plain-text tables for stdout. */
export function renderText(res: BenchResults): string {
  const lines: string[] = [];
  for (const t of tables(res)) {
    const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
    const cell = (v: string, i: number): string => (t.align?.[i] === 'r' ? v.padStart(widths[i]) : v.padEnd(widths[i]));
    lines.push('', t.title, t.head.map(cell).join('  '), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of t.rows) lines.push(r.map(cell).join('  '));
  }
  if (res.notes.length > 0) lines.push('', 'Notes:', ...res.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

/** Markdown tables (the README's Performance section). */
export function renderMarkdown(res: BenchResults): string {
  const m = res.machine;
  const lines: string[] = [
    `Measured ${res.date.slice(0, 10)} on ${m.cpus} × ${m.cpuModel}, Node ${m.node}, library at ${res.library.gitHead}${res.library.srcDirty ? ' (with uncommitted changes)' : ''}.`,
  ];
  for (const t of tables(res)) {
    lines.push(
      '',
      `**${t.title}**`,
      '',
      `| ${t.head.join(' | ')} |`,
      `|${t.head.map((_, i) => (t.align?.[i] === 'r' ? '---:' : '---')).join('|')}|`,
    );
    for (const r of t.rows) lines.push(`| ${r.map((v) => v.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  if (res.notes.length > 0) lines.push('', ...res.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}
