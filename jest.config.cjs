/** Jest 30 in ESM mode: run with NODE_OPTIONS=--experimental-vm-modules (npm test does). */
module.exports = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  // `.cts` sources (always CommonJS, e.g. src/internal/optional-require.cts) are imported as `.cjs`.
  moduleFileExtensions: ['ts', 'cts', 'js', 'cjs', 'mjs', 'json', 'node'],
  transform: {
    // Type-checking is its own step (`npm run typecheck`): ts-jest only transpiles. A `.cts` file
    // is not in extensionsToTreatAsEsm, so Jest loads it as CommonJS and ts-jest emits CommonJS.
    '^.+\\.c?ts$': ['ts-jest', { useESM: true, isolatedModules: true, tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.c?js$': '$1',
    // Mercurius loads @fastify/static, which require()s content-disposition 3 (ESM only); Jest cannot
    // require() ESM on Node 20. Version 2 (CommonJS, the same create/parse API, Express's) stands in.
    '^content-disposition$': '<rootDir>/node_modules/content-disposition/dist/index.js',
  },
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  testMatch: ['<rootDir>/test/**/*.spec.ts', '<rootDir>/src/**/*.spec.ts'],
  // Fuzz/fault suites run in `npm run test:security`, the soak in `npm run soak`.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/security/', '<rootDir>/test/soak/'],
  testTimeout: 30000,
};
