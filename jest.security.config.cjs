/**
 * `npm run test:security`: the hostile-token suite, the fuzz properties, the abuse limits and the
 * fault-injection specs, then the security table (test/security/reporter.cjs; also
 * test-output/security-report.json). One file at a time: the fuzz suites are CPU-heavy, and a
 * shared machine runs them beside other work. No spec asserts a timing, so a busy machine makes
 * the run slower, never red: they count fetches and Cognito calls, check the order of events and
 * move an injected clock.
 */
const base = require('./jest.config.cjs');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/e2e/hostile-tokens.e2e.spec.ts', '<rootDir>/test/security/**/*.security.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  setupFilesAfterEnv: ['<rootDir>/test/security/support/wiretap.ts'],
  reporters: ['default', '<rootDir>/test/security/reporter.cjs'],
  maxWorkers: 1,
  testTimeout: 120000,
};
