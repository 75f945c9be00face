import { defineConfig } from 'vitest/config';

// As `nest new` writes it for an ES module app, less the tsconfig-paths plugin (no path aliases here).
export default defineConfig({
  test: {
    globals: true,
    root: './',
    include: ['**/*.e2e-spec.ts'],
  },
});
