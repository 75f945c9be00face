/**
 * What the bench driver (run.ts) needs around its phases: the PostgreSQL admin connection, the
 * SQLite files to delete, the git state of the library, the notes printed under the tables and
 * writing bench/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type BenchResults, renderMarkdown } from './report.js';

const env = process.env;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const resultsDir = join(repoRoot, 'bench', 'results');

/** Deletes the bench's SQLite files (both databases, with their journals). */
export function removeSqlite(file: string): Promise<unknown> {
  return Promise.all(['', '-nocache'].flatMap((f) => ['', '-wal', '-shm', '-journal'].map((s) => rm(file + f + s, { force: true }))));
}

/** The PostgreSQL server and admin database, as test/support/databases.ts reads them. */
export function pgAdminConfig() {
  return {
    host: env.PGHOST ?? '127.0.0.1',
    port: Number(env.PGPORT ?? 5432),
    user: env.PGUSER ?? 'postgres',
    password: env.PGPASSWORD ?? undefined,
    database: env.PGDATABASE ?? 'test',
  };
}

/** Runs one statement on the admin database (CREATE / DROP DATABASE). */
export async function pgAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ ...pgAdminConfig(), connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The commit measured, and whether src/ differs from it. */
export function gitInfo(): { gitHead: string; srcDirty: boolean } {
  try {
    const gitHead = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: repoRoot, encoding: 'utf8' }).trim() !== '';
    return { gitHead, srcDirty: dirty };
  } catch {
    return { gitHead: 'unknown', srcDirty: true };
  }
}

/** Writes bench/results/<date>[-quick].json, latest.json and latest.md (each through a temporary file). */
export async function writeResults(results: BenchResults, quick: boolean): Promise<void> {
  await mkdir(resultsDir, { recursive: true });
  const stamp = results.date.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const files: [string, string][] = [
    [`${stamp}${quick ? '-quick' : ''}.json`, json],
    ['latest.json', json],
    ['latest.md', renderMarkdown(results)],
  ];
  for (const [name, content] of files) {
    const tmp = join(resultsDir, `${name}.tmp`);
    await writeFile(tmp, content);
    await rename(tmp, join(resultsDir, name));
  }
  process.stdout.write(`Written: bench/results/${files[0][0]}, latest.json, latest.md\n`);
}

/** The notes printed under the tables: how the figures were made. */
export const NOTES = (cores: number, cacheSize: number): string[] => [
  "Tokens: minted by the TestIdentityProvider with the AWS-shaped issuer https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BenchPool1 (claim override), so aws-jwt-verify's CognitoJwtVerifier runs as shipped (its fetcher is pointed at the local provider); every verifier checks that issuer, RS256, token_use access and the client id.",
  `Before the rounds every CognitoGuard route's verified-token cache is filled to ${cacheSize.toLocaleString('en-US')} entries (the default tokenCacheSize) with other tokens, so a hit and an eviction cost what they cost on a server that has seen many users; the user sync routes then hold ${(cacheSize / 2).toLocaleString('en-US')} users.`,
  '/noop-guard is a diagnostic: a guard whose canActivate returns true, the floor any Nest guard pays. /rs256 and /rs256-pair are the yardstick: a guard doing nothing but the bare RS256 check (node:crypto) of the access token, or of both tokens.',
  "Ratios are medians of per-round ratios (each route against its baseline in the same round: /baseline on Express, fastify /baseline on Fastify, the unguarded `{ open }` query for GraphQL). Spread: half the min–max range over the rounds, in % of the median. Server CPU µs/req: CPU time of the server process (all threads, libuv's pool included) over the responses; where a spread exceeds 10 %, the targets are judged by it. autocannon and the servers share the " +
    cores +
    ' cores.',
  "/sync-* routes: tokenUse id+access, the library's CognitoUser entity, default mapping {sub, email}, updateOnLogin on; /sync-sqlite and /sync-postgres as shipped (users.cacheTtlSeconds 5), /sync-sqlite-nocache with users.cacheTtlSeconds 0. SQL/req: statements the DataSource ran per response.",
  'Storms: one socket per request, all sent at once. Cold start: a fresh server process per route, the burst sent as soon as it listens; CognitoAuthModule loads the JWKS during start-up (before listening), the peers on their first request. New signing key: the provider rotates its key (the old one stays published) and every token of the burst carries the new kid.',
  "Three instances: the jest specs test/integration/shared-state/three-instances.spec.ts and hot-path.bench.spec.ts, run in band in a child process (NCA_BENCH=1, REQUIRE_DB=1) against the Redis and PostgreSQL of the machine; each app instance, the load and the identity provider share that one process. A storm is timed from sending the first request to the last answer; the spec holds Cognito's answer until every instance has its refresh in flight. The logout figure is polled every 10 ms from sending the logout. The hot path alternates which store goes first in each round.",
];
