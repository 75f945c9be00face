/**
 * `npm run test:security`: the hostile-token suite, the fuzz properties, the abuse limits and the
 * fault-injection specs, one file at a time (the fault specs measure answer times), then the
 * security table (test/security/reporter.cjs; also test-output/security-report.json).
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
