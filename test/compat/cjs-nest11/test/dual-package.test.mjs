// `npm run test:dual`: this CommonJS app's require() copy next to an import() copy.
import { createRequire } from 'node:module';
import { dualPackageSuite } from '../../shared/dual-package.suite.mjs';

const require = createRequire(import.meta.url);

dualPackageSuite({
  cjs: require('nest-cognito-auth'),
  esm: await import('nest-cognito-auth'),
  testing: require('nest-cognito-auth/testing'),
  common: require('@nestjs/common'),
  core: require('@nestjs/core'),
});
