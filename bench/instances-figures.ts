/**
 * What the shared-state specs print and report, read back: their `[figure]` lines on stderr, and
 * how each test behind a figure ended (jest's `--json` report). The specs are the measure; this
 * file only parses, so a changed line shows up as a missing figure, never as a wrong one.
 */

/** One refresh storm over the instances (three-instances.spec.ts). */
export interface InstanceStorm {
  /** `REFRESH_TOKEN_AUTH` or `refresh-token rotation`. */
  readonly label: string;
  readonly requests: number;
  readonly instances: number;
  /** The provider's `initiateAuth + getTokensFromRefreshToken`. */
  readonly cognitoCalls: number;
  /** Status code → answers. */
  readonly statuses: Readonly<Record<string, number>>;
  /** From sending the first request to the last answer (Cognito's answer held until every instance waits). */
  readonly allAnsweredMs: number;
}

/** A logout on A until B and C refuse the same tokens (three-instances.spec.ts). */
export interface LogoutFigure {
  readonly refusedOnBMs: number;
  readonly refusedOnCMs: number;
}

/** A repeated-token route with the Redis store on and off (hot-path.bench.spec.ts). */
export interface HotPathFigure {
  readonly rounds: number;
  readonly durationS: number;
  /** Median req/s, in-memory store (off) and Redis store (on), and every round's. */
  readonly offRps: number;
  readonly onRps: number;
  readonly offRounds: readonly number[];
  readonly onRounds: readonly number[];
  /** Median on ÷ median off. */
  readonly ratio: number;
}

/** Every figure found in the specs' output, and the raw lines. */
export interface InstanceFigures {
  readonly storms: readonly InstanceStorm[];
  readonly logout?: LogoutFigure;
  readonly hotPath?: HotPathFigure;
  readonly lines: readonly string[];
}

/** How a test behind a figure ended; `missing`: jest reported no such test. */
export interface SpecOutcome {
  readonly test: string;
  readonly status: 'passed' | 'failed' | 'skipped' | 'missing';
  /** Why it did not pass: the first lines of its failure. */
  readonly reason?: string;
}

/** The tests behind the three figures. */
export interface InstanceOutcomes {
  /** One per storm, keyed by the storm's label. */
  readonly storms: Readonly<Record<string, SpecOutcome>>;
  readonly logout: SpecOutcome;
  readonly hotPath: SpecOutcome;
}

/** The labels of the two storms the spec runs (its `describe.each`). */
export const STORM_LABELS = ['REFRESH_TOKEN_AUTH', 'refresh-token rotation'] as const;

const STORM_LINE =
  /^\[figure\] refresh storm \((.+?)\): (\d+) requests over (\d+) instances, (\d+) Cognito call\(s\), statuses (.+?), all answered in ([\d.]+) ms$/;
const LOGOUT_LINE = /^\[figure\] logout on A refused on B after ([\d.]+) ms, on C after ([\d.]+) ms$/;
const HOT_PATH_LINE =
  /^\[figure\] .*?(\d+) rounds of (\d+(?:\.\d+)?) s: in-memory (\d+) req\/s \(([\d, ]*)\), Redis (\d+) req\/s \(([\d, ]*)\), ratio ([\d.]+)$/;

const numbers = (list: string): number[] => list.split(',').map((x) => Number(x.trim()));

/** The figures in `lines` (each a `[figure]` line the specs wrote to stderr). */
export function parseFigures(lines: readonly string[]): InstanceFigures {
  const storms: InstanceStorm[] = [];
  let logout: LogoutFigure | undefined;
  let hotPath: HotPathFigure | undefined;
  for (const line of lines) {
    const s = STORM_LINE.exec(line);
    if (s) {
      const statuses: Record<string, number> = {};
      for (const [, code, n] of s[5].matchAll(/(\d+)×(\d+)/g)) statuses[code] = Number(n);
      storms.push({
        label: s[1],
        requests: Number(s[2]),
        instances: Number(s[3]),
        cognitoCalls: Number(s[4]),
        statuses,
        allAnsweredMs: Number(s[6]),
      });
    }
    const l = LOGOUT_LINE.exec(line);
    if (l) logout = { refusedOnBMs: Number(l[1]), refusedOnCMs: Number(l[2]) };
    const h = HOT_PATH_LINE.exec(line);
    if (h) {
      const [rounds, durationS, offRps, offRounds, onRps, onRounds, ratio] = h.slice(1);
      hotPath = {
        rounds: Number(rounds),
        durationS: Number(durationS),
        offRps: Number(offRps),
        onRps: Number(onRps),
        offRounds: numbers(offRounds),
        onRounds: numbers(onRounds),
        ratio: Number(ratio),
      };
    }
  }
  return { storms, logout, hotPath, lines };
}

// ------------------------------------------------------------------------- jest's report

/** The part of jest's `--json` report read here. */
export interface JestReport {
  readonly success: boolean;
  readonly testResults: readonly {
    readonly name: string;
    readonly status: string;
    readonly message: string;
    readonly assertionResults: readonly JestAssertion[];
  }[];
}

interface JestAssertion {
  readonly fullName: string;
  readonly title: string;
  readonly status: string;
  readonly failureMessages: readonly string[];
}

/** The first lines of a jest failure, without colours or the stack: one line, at most 240 characters. */
export function firstLines(message: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
  const kept: string[] = [];
  for (const line of plain.split('\n')) {
    if (/^\s+at /.test(line)) break;
    if (line.trim() !== '' && !line.trim().startsWith('●')) kept.push(line.trim());
  }
  const text = kept.join(' ').replace(/\s+/g, ' ');
  return text.length > 240 ? `${text.slice(0, 237)}...` : text;
}

function outcome(report: JestReport, test: string, match: (a: JestAssertion) => boolean): SpecOutcome {
  for (const file of report.testResults) {
    const a = file.assertionResults.find(match);
    if (!a) continue;
    if (a.status === 'passed') return { test, status: 'passed' };
    if (a.status === 'failed') return { test, status: 'failed', reason: firstLines(a.failureMessages.join('\n')) || 'failed' };
    return { test, status: 'skipped', reason: `the test was ${a.status}` };
  }
  // A file that failed to run reports no tests: its message says why.
  const broken = report.testResults.find((f) => f.assertionResults.length === 0 && f.message !== '');
  return { test, status: 'missing', reason: broken ? firstLines(broken.message) : 'jest reported no such test' };
}

/** How the tests behind the figures ended. */
export function outcomesOf(report: JestReport): InstanceOutcomes {
  const storms: Record<string, SpecOutcome> = {};
  for (const label of STORM_LABELS)
    storms[label] = outcome(
      report,
      `a refresh storm (${label})`,
      (a) => a.fullName.includes(`a refresh storm (${label})`) && a.title.includes('requests over 3 instances'),
    );
  return {
    storms,
    logout: outcome(report, 'logout on A', (a) => a.title.startsWith('logout on A')),
    hotPath: outcome(report, 'hot path throughput ratio', (a) => a.title.startsWith('throughput ratio')),
  };
}

/** Every failed test of the run (all of both files, not only those behind a figure), with its first lines. */
export function failuresOf(report: JestReport): string[] {
  const out: string[] = [];
  for (const file of report.testResults) {
    if (file.assertionResults.length === 0 && file.message !== '') out.push(`${file.name}: ${firstLines(file.message)}`);
    for (const a of file.assertionResults)
      if (a.status === 'failed') out.push(`${a.fullName}: ${firstLines(a.failureMessages.join('\n'))}`);
  }
  return out;
}
