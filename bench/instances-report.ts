/**
 * The three-instance targets (the shared-state issue's, restated in issue 16: a refresh storm over
 * three instances makes one Cognito call; a logout on one instance is refused by the others within
 * 1 s; the Redis store leaves a repeated-token route at ≥ 0.95 × its throughput) and the table
 * "Three instances (Redis, PostgreSQL)", from what the `instances` phase measured.
 *
 * A row is met only when its figure meets the target and the tests behind it passed. A figure
 * that misses is reported as a miss even when its test failed (a miss is never hidden); without
 * a figure the row says "not measured" and why.
 */
import { type InstanceStorm, type SpecOutcome, STORM_LABELS } from './instances-figures.js';
import type { InstancesResult, InstancesRun } from './instances.js';
import type { Target } from './report.js';

/** The longest a logout on A may take to be refused on B and C. */
const LOGOUT_MS = 1000;
/** Repeated-token throughput with the Redis store, as a share of the in-memory store's. */
const HOT_PATH_RATIO = 0.95;

const NAME = {
  storm: (requests: number) => `three instances, refresh storm ${requests} requests (REFRESH_TOKEN_AUTH and rotation)`,
  logout: 'three instances, logout on A until B and C refuse',
  hotPath: 'repeated-token route, Redis store on vs off',
};
const WANTED = {
  storm: 'exactly 1 Cognito call per storm, all 200',
  logout: `under ${LOGOUT_MS / 1000} s (the later of B and C)`,
  hotPath: `≥ ${HOT_PATH_RATIO} × (median req/s, Redis ÷ in-memory)`,
};

const n0 = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
const n1 = (x: number): string => x.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const statusText = (s: Readonly<Record<string, number>>): string =>
  Object.entries(s)
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');

/** A measured text and whether it meets the target (`null`: part of it is missing). */
interface Figure {
  readonly text: string;
  readonly met: boolean | null;
}

/** A target row from a figure and the tests behind it. */
function row(name: string, target: string, figure: Figure | undefined, outcomes: readonly SpecOutcome[], cause?: string): Target {
  const failed = outcomes.find((o) => o.status !== 'passed');
  const why = cause ?? (failed ? `${failed.test}: ${failed.reason ?? failed.status}` : 'no [figure] line printed');
  if (!figure) return { name, target, measured: `not measured: ${why}`, met: null };
  if (!failed) return { name, target, measured: figure.text, met: figure.met };
  return { name, target, measured: `${figure.text}; the spec failed: ${why}`, met: figure.met === false ? false : null };
}

const stormMet = (s: InstanceStorm): boolean => s.cognitoCalls === 1 && s.statuses['200'] === s.requests;
const stormText = (s: InstanceStorm): string =>
  `${s.cognitoCalls} Cognito call${s.cognitoCalls === 1 ? '' : 's'}, ${statusText(s.statuses)} of ${s.requests} over ${s.instances} instances, all answered in ${n0(s.allAnsweredMs)} ms`;

function stormFigure(storms: readonly InstanceStorm[]): Figure | undefined {
  if (storms.length === 0) return undefined;
  const found = STORM_LABELS.map((label) => storms.find((s) => s.label === label));
  const met = found.some((s) => s !== undefined && !stormMet(s)) ? false : found.every((s) => s !== undefined) ? true : null;
  const text = STORM_LABELS.map((label, i) => `${label}: ${found[i] ? stormText(found[i]) : 'no figure'}`).join('; ');
  return { text, met };
}

function hotPathText(h: NonNullable<InstancesRun['figures']['hotPath']>): string {
  return (
    `${h.ratio.toFixed(3)} × (Redis ${n0(h.onRps)} vs in-memory ${n0(h.offRps)} req/s, medians of ${h.rounds} interleaved rounds of ${h.durationS} s; ` +
    `rounds: Redis ${h.onRounds.map(n0).join(', ')}; in-memory ${h.offRounds.map(n0).join(', ')})`
  );
}

/** The three rows replacing the old placeholder, in the order of the issue. */
export function instanceTargets(run: InstancesResult): Target[] {
  if ('error' in run) {
    const measured = `not measured: ${run.error === 'not run' ? 'phase not run (BENCH_PHASES)' : run.error}`;
    return [
      { name: NAME.storm(300), target: WANTED.storm, measured, met: null },
      { name: NAME.logout, target: WANTED.logout, measured, met: null },
      { name: NAME.hotPath, target: WANTED.hotPath, measured, met: null },
    ];
  }
  const { storms, logout, hotPath } = run.figures;
  const o = run.outcomes;
  const latest = logout ? Math.max(logout.refusedOnBMs, logout.refusedOnCMs) : Number.NaN;
  const logoutFigure = logout && {
    text: `${n1(latest)} ms (B ${n1(logout.refusedOnBMs)} ms, C ${n1(logout.refusedOnCMs)} ms, from sending the logout)`,
    met: latest < LOGOUT_MS,
  };
  const pgDown = run.services.postgres === 'up' ? undefined : `PostgreSQL ${run.services.postgres}`;
  return [
    row(NAME.storm(storms[0]?.requests ?? 300), WANTED.storm, stormFigure(storms), Object.values(o.storms)),
    row(NAME.logout, WANTED.logout, logoutFigure, [o.logout], o.logout.status === 'passed' ? undefined : pgDown),
    row(NAME.hotPath, WANTED.hotPath, hotPath && { text: hotPathText(hotPath), met: hotPath.ratio >= HOT_PATH_RATIO }, [o.hotPath]),
  ];
}

/** The "Three instances" table of the report; none when the phase was not asked for. */
export function instancesTable(run: InstancesResult): { title: string; head: string[]; rows: string[][] } | undefined {
  const title = 'Three instances (Redis, PostgreSQL)';
  const head = ['measure', 'figures', 'spec test'];
  if ('error' in run) return run.error === 'not run' ? undefined : { title, head, rows: [['not measured', run.error, '']] };
  const { storms, logout, hotPath } = run.figures;
  const o = run.outcomes;
  const rows: string[][] = STORM_LABELS.map((label) => {
    const s = storms.find((x) => x.label === label);
    return [`refresh storm, ${label}`, s ? stormText(s) : 'no figure', o.storms[label]?.status ?? 'missing'];
  });
  rows.push([
    'logout on A until B and C refuse (PostgreSQL user cache)',
    logout ? `B ${n1(logout.refusedOnBMs)} ms, C ${n1(logout.refusedOnCMs)} ms` : 'no figure',
    o.logout.status,
  ]);
  rows.push([
    '/t/claims, repeated ID + access pair: Redis store on vs off',
    hotPath ? hotPathText(hotPath) : 'no figure',
    o.hotPath.status,
  ]);
  return {
    title: `${title}: ${run.specs.join(', ')} under jest (in band), ${run.durationS} s`,
    head,
    rows,
  };
}
