#!/usr/bin/env node
/**
 * Builds the library twice from one source: dist/esm (ES modules, `import`) and dist/cjs
 * (CommonJS, `require`), each with its declarations. dist/cjs gets a package.json saying
 * "type": "commonjs", because the package itself is "type": "module".
 *
 * `--if-needed` (the `prepare` script: installs from a git URL) skips the build when both
 * outputs exist, so `npm install` in a working checkout does not rebuild.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

if (process.argv.includes('--if-needed') && ['esm', 'cjs'].every((f) => existsSync(join(dist, f, 'index.js')))) {
  process.exit(0);
}

// The compiler of this checkout (devDependency), whatever PATH holds.
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');

rmSync(dist, { recursive: true, force: true });
for (const config of ['tsconfig.esm.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', join(root, config)], { stdio: 'inherit', cwd: root });
}
mkdirSync(join(dist, 'cjs'), { recursive: true });
writeFileSync(join(dist, 'cjs', 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
