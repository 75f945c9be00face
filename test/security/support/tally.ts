/**
 * Per-suite counters of the security run (cases tried, answered as the contract says, 5xx seen,
 * token fragments leaked), saved as JSON under test-output/security-stats/ for the reporter
 * (test/security/reporter.cjs), which prints the table and writes test-output/security-report.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingHttpHeaders } from 'node:http';
import type { CaptureLogger } from '../../support/capture-logger.js';
import { findLeaks } from '../../support/capture-logger.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const STATS_DIR = path.join(REPO_ROOT, 'test-output', 'security-stats');

/** One row of the security table. */
export interface SuiteRow {
  suite: string;
  /** Spec file, relative to the repository root. */
  file: string;
  /** Requests sent (or, where stated, operations tried). */
  tried: number;
  /** Answered 2xx where the contract (the oracle) says the request must succeed. */
  accepted: number;
  /** Refused with exactly the status and code the contract gives (503 auth_unavailable included where it is the right answer). */
  rejectedRight: number;
  /** Any other answer: wrong status, wrong code, wrong body, a 200 that should not be. */
  wrong: number;
  /** 5xx answers that are not the contract's 503 auth_unavailable for that case (must be 0). */
  fiveXX: number;
  /** 503 auth_unavailable answers that were the right answer (fault suites). */
  expected503: number;
  /** Response bodies, non-token response headers or log lines holding a fragment of a token sent (must be 0). */
  leaked: number;
  /** Answers seen, by `status code` (e.g. `401 token_invalid`). */
  answers: Record<string, number>;
  /** Free-form facts (seed, timings, counters). */
  notes: string[];
  /** The first few wrong answers, described. */
  failures: string[];
}

/** The `code` of an error body, if it is one. */
export function codeOf(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { code?: unknown } | null)?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Response headers that legitimately carry tokens (handing refreshed tokens back). */
const TOKEN_HEADERS = new Set(['accesstoken', 'idtoken', 'refreshtoken', 'set-cookie']);

/** The texts of an answer that must never hold a token fragment: the body and every other header. */
export function answerTexts(body: string, headers: IncomingHttpHeaders): string[] {
  const texts = [body];
  for (const [name, value] of Object.entries(headers)) {
    if (TOKEN_HEADERS.has(name) || value === undefined) continue;
    texts.push(`${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
  }
  return texts;
}

export class Tally {
  readonly row: SuiteRow;
  private logCursor = 0;

  constructor(suite: string, specUrl: string) {
    this.row = {
      suite,
      file: path.relative(REPO_ROOT, fileURLToPath(specUrl)),
      tried: 0,
      accepted: 0,
      rejectedRight: 0,
      wrong: 0,
      fiveXX: 0,
      expected503: 0,
      leaked: 0,
      answers: {},
      notes: [],
      failures: [],
    };
  }

  /**
   * Records one answer. `matched`: it is what the contract says for that request; `success`: the
   * contract says 2xx; `expected503`: the contract says 503 auth_unavailable.
   */
  record(a: { status: number; code?: string; matched: boolean; success?: boolean; expected503?: boolean; failure?: string }): void {
    this.row.tried++;
    const key = a.code ? `${a.status} ${a.code}` : String(a.status);
    this.row.answers[key] = (this.row.answers[key] ?? 0) + 1;
    if (a.status >= 500 && !(a.status === 503 && a.expected503 && a.matched)) this.row.fiveXX++;
    if (!a.matched) {
      this.row.wrong++;
      if (a.failure && this.row.failures.length < 10) this.row.failures.push(a.failure);
      return;
    }
    if (a.status === 503) this.row.expected503++;
    if (a.success) this.row.accepted++;
    else this.row.rejectedRight++;
  }

  /** Counts the texts holding a fragment of any of the tokens; returns how many. */
  leaks(texts: readonly string[], tokens: readonly string[]): number {
    const found = findLeaks(texts, tokens).length;
    this.row.leaked += found;
    if (found > 0 && this.row.failures.length < 10) this.row.failures.push(`token fragment leaked in ${found} text(s)`);
    return found;
  }

  /** Checks the log lines written since the last call against the tokens sent meanwhile. */
  logLeaks(logger: CaptureLogger, tokens: readonly string[]): number {
    const lines = logger.lines.slice(this.logCursor);
    this.logCursor = logger.lines.length;
    return lines.length === 0 ? 0 : this.leaks(lines, tokens);
  }

  note(text: string): void {
    this.row.notes.push(text);
  }

  /** Writes the row for the reporter. */
  save(): void {
    mkdirSync(STATS_DIR, { recursive: true });
    const slug = this.row.suite
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .toLowerCase();
    writeFileSync(path.join(STATS_DIR, `suite-${slug}.json`), `${JSON.stringify(this.row, null, 2)}\n`);
  }
}
