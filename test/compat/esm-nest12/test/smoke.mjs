// `npm run test:smoke`: the built app under plain Node (import of the tarball's dist/esm).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import * as testing from 'nest-cognito-auth/testing';
import { smoke } from '../../shared/smoke.mjs';

const sub = await smoke({
  appDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  testing,
  userPoolId: 'local_SmokeEsm12',
});
const db = new pg.Client({ connectionString: process.env.COMPAT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
await db.connect();
await db.query('DELETE FROM compat_esm_nest12_users WHERE sub = $1', [sub]);
await db.end();
