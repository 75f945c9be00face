// `npm run test:smoke`: the built app under plain Node (require() of the tarball's dist/cjs).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { smoke } from '../../shared/smoke.mjs';

const require = createRequire(import.meta.url);
const { Client } = require('pg');

const sub = await smoke({
  appDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  testing: require('nest-cognito-auth/testing'),
  userPoolId: 'local_SmokeCjs11',
});
const db = new Client({ connectionString: process.env.COMPAT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
await db.connect();
await db.query('DELETE FROM compat_cjs_nest11_users WHERE sub = $1', [sub]);
await db.end();
