/** Helpers shared by the target modules: number format, an unmeasured row, a route's judged ratio. */
import type { RouteSummary, Target } from './report.js';

export const NOISY_PCT = 10;
export const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
export const none = (name: string, target: string): Target => ({ name, target, measured: 'not measured', met: null });

/** A route's ratio to its baseline: by req/s (median of per-round ratios), by CPU per request when either spread is over 10 %. */
export function judged(s: RouteSummary, base: RouteSummary | undefined): { value: number; text: string } {
  const noisy = s.spreadPct > NOISY_PCT || (base?.spreadPct ?? 0) > NOISY_PCT;
  const rps = `${f2(s.ratioToBaseline)} × by req/s (spread ±${s.spreadPct}%${base ? ` / baseline ±${base.spreadPct}%` : ''})`;
  const cpu = `${f2(s.cpuRatioToBaseline)} × by server CPU/req (${s.serverCpuUsPerRequest} µs, +${s.cpuOverBaselineUs} µs over the baseline)`;
  return noisy
    ? { value: s.cpuRatioToBaseline, text: `${cpu}; judged by CPU, ${rps}` }
    : { value: s.ratioToBaseline, text: `${rps}; ${cpu}` };
}
