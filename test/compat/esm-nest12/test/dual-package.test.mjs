// `npm run test:dual`: this ES module app's import() copy next to a require() copy (as a
// CommonJS dependency of the app would load it; NestJS 12 is then require()d as an ES module).
import { createRequire } from 'node:module';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as testing from 'nest-cognito-auth/testing';
import { dualPackageSuite } from '../../shared/dual-package.suite.mjs';

const require = createRequire(import.meta.url);

dualPackageSuite({
  cjs: require('nest-cognito-auth'),
  esm: await import('nest-cognito-auth'),
  testing,
  common,
  core,
});
