/**
 * Jest reporter of `npm run test:security`: prints the security table at the end of the run and
 * writes it to test-output/security-report.json.
 *
 * Rows come from the counters the suites save (test-output/security-stats/suite-*.json, see
 * test/security/support/tally.ts). A spec file that keeps none (the hostile-token suite) gets a
 * row from the wire tap (test/security/support/wiretap.ts) and its tests' results: every answer
 * seen during a passing test was asserted by it (2xx: accepted, other: rejected with the right
 * code), every answer during a failing test counts as wrong.
 */
const fs = require('node:fs');
const path = require('node:path');

const COLUMNS = [
  ['suite', 'suite'],
  ['tried', 'cases tried'],
  ['accepted', 'accepted (valid)'],
  ['rejectedRight', 'rejected, right code'],
  ['wrong', 'wrong answer'],
  ['fiveXX', '5xx seen'],
  ['leaked', 'fragments leaked'],
  ['status', 'spec'],
];

class SecurityReporter {
  constructor(globalConfig) {
    this.root = globalConfig.rootDir;
    this.statsDir = path.join(this.root, 'test-output', 'security-stats');
    this.results = [];
  }

  onRunStart() {
    fs.rmSync(this.statsDir, { recursive: true, force: true });
    fs.mkdirSync(this.statsDir, { recursive: true });
  }

  onTestResult(_test, testResult) {
    this.results.push(testResult);
  }

  onRunComplete() {
    const read = (prefix) =>
      fs.existsSync(this.statsDir)
        ? fs
            .readdirSync(this.statsDir)
            .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
            .map((f) => JSON.parse(fs.readFileSync(path.join(this.statsDir, f), 'utf8')))
        : [];
    const suites = read('suite-');
    const taps = new Map(read('tap-').map((t) => [t.file, t]));
    const rows = [];
    for (const result of this.results) {
      const file = path.relative(this.root, result.testFilePath);
      const failed = result.numFailingTests > 0 || !!result.testExecError || result.failureMessage ? 'FAIL' : 'PASS';
      const own = suites.filter((s) => s.file === file);
      if (own.length > 0) {
        for (const s of own) rows.push({ ...s, status: failed });
        continue;
      }
      const tap = taps.get(file);
      const row = { suite: path.basename(file).replace(/\.spec\.ts$/, ''), file, tried: 0, accepted: 0, rejectedRight: 0, wrong: 0, fiveXX: 0, leaked: 0, answers: {}, notes: [], failures: [], status: failed };
      for (const a of result.testResults) {
        const t = tap?.tests[a.fullName];
        if (!t) continue;
        row.tried += t.responses;
        row.fiveXX += t.fiveXX;
        row.leaked += t.leaked;
        for (const [status, n] of Object.entries(t.byStatus)) {
          row.answers[status] = (row.answers[status] ?? 0) + n;
          if (a.status !== 'passed') row.wrong += n;
          else if (Number.parseInt(status, 10) < 300) row.accepted += n;
          else row.rejectedRight += n;
        }
        if (a.status !== 'passed') row.failures.push(a.fullName);
        // A failing leak assertion of the suite itself (log lines) counts as a leak.
        if (a.status !== 'passed' && /leak/i.test(a.title)) row.leaked += 1;
      }
      row.notes.push(`counted from the wire tap: ${result.testResults.length} tests, answers asserted by the spec`);
      rows.push(row);
    }
    const total = { suite: 'TOTAL', tried: 0, accepted: 0, rejectedRight: 0, wrong: 0, fiveXX: 0, leaked: 0, status: '' };
    for (const r of rows) for (const k of ['tried', 'accepted', 'rejectedRight', 'wrong', 'fiveXX', 'leaked']) total[k] += r[k] ?? 0;
    total.status = rows.every((r) => r.status === 'PASS') && total.fiveXX === 0 && total.leaked === 0 && total.wrong === 0 ? 'PASS' : 'FAIL';

    const cells = [...rows, total].map((r) => COLUMNS.map(([k]) => String(r[k] ?? '')));
    const widths = COLUMNS.map(([, h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (c) => `| ${c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')} |`;
    const rule = `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`;
    const out = [
      '',
      'Security report (test-output/security-report.json)',
      '',
      line(COLUMNS.map(([, h]) => h)),
      rule,
      ...cells.slice(0, -1).map(line),
      line(cells[cells.length - 1]),
      '',
      '5xx seen: answers 500 and up other than the contract\'s 503 auth_unavailable where a dependency was down (fault suites count those under "rejected, right code").',
      '',
    ];
    for (const r of rows) {
      const answers = Object.entries(r.answers ?? {}).map(([k, n]) => `${k}: ${n}`).join(', ');
      out.push(`${r.suite}: ${answers}`);
      for (const n of r.notes ?? []) out.push(`  - ${n}`);
      for (const f of (r.failures ?? []).slice(0, 5)) out.push(`  ! ${f}`);
    }
    process.stdout.write(`${out.join('\n')}\n`);
    fs.mkdirSync(path.join(this.root, 'test-output'), { recursive: true });
    fs.writeFileSync(
      path.join(this.root, 'test-output', 'security-report.json'),
      `${JSON.stringify({ generatedAt: new Date().toISOString(), result: total.status, totals: total, suites: rows }, null, 2)}\n`,
    );
  }
}

module.exports = SecurityReporter;
