import { defineConfig } from 'vitest/config';

// As `nest new` writes it for an ES module app, less the tsconfig-paths plugin (no path aliases here).
export default defineConfig({
  test: {
    globals: true,
    root: './',
    include: ['**/*.e2e-spec.ts'],
    // Hooks generate keys, boot Nest and sync PostgreSQL: the defaults (5 s per test, 10 s per hook)
    // are too short on a busy CI machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
