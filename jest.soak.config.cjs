/**
 * `npm run soak`: the soak run only (test/soak), kept out of `npm test` and `npm run test:security`.
 * SOAK_TOKENS (default 1000000), SOAK_PASSES (10), SOAK_MAX_SECONDS (900) tune it.
 */
const base = require('./jest.config.cjs');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/soak/**/*.soak.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 30 * 60 * 1000,
};
