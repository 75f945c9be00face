/**
 * A private PostgreSQL server for fault specs, so stopping it never touches the shared server on
 * 5432 that other suites use in parallel: `initdb` into a temp directory (as the `postgres` OS
 * user when running as root), `pg_ctl start` on a free loopback port with its socket in that
 * directory, `stop()` is `pg_ctl stop -m immediate` (a crash, as far as clients can tell),
 * `start()` brings it back on the same port, `destroy()` stops it and removes the directory.
 *
 * Binaries: `PG_BIN`, else /usr/lib/postgresql/<15|16|14>/bin.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from '../../support/cognito-local.js';

const run = promisify(execFile);

export interface PrivatePostgres {
  readonly port: number;
  readonly dir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/** Where initdb and pg_ctl are, or why the private server cannot run here. */
export function privatePostgresSupport(): { bin: string } | { reason: string } {
  const candidates = [process.env.PG_BIN, ...['15', '16', '17', '14'].map((v) => `/usr/lib/postgresql/${v}/bin`)].filter(
    (p): p is string => !!p,
  );
  const bin = candidates.find((p) => existsSync(path.join(p, 'initdb')) && existsSync(path.join(p, 'pg_ctl')));
  if (!bin) return { reason: `initdb/pg_ctl not found (looked in ${candidates.join(', ')}; set PG_BIN)` };
  if (process.getuid?.() === 0 && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) {
    return { reason: 'running as root without runuser: PostgreSQL refuses to run as root' };
  }
  return { bin };
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const support = privatePostgresSupport();
  if ('reason' in support) throw new Error(support.reason);
  const asRoot = process.getuid?.() === 0;
  const exec = async (tool: string, args: string[]) => {
    const file = path.join(support.bin, tool);
    const { stdout } = asRoot
      ? await run('runuser', ['-u', 'postgres', '--', file, ...args], { timeout: 60_000 })
      : await run(file, args, { timeout: 60_000 });
    return stdout;
  };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nca-pg-'));
  const data = path.join(dir, 'data');
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  let port = 0;
  const options = () => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  let running = false;
  const pg: PrivatePostgres = {
    get port() {
      return port;
    },
    dir,
    async start() {
      await exec('pg_ctl', ['-D', data, '-o', options(), '-l', path.join(dir, 'server.log'), '-w', '-t', '30', 'start']);
      running = true;
    },
    async stop() {
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      running = false;
    },
    async destroy() {
      if (running) await pg.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await exec('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    for (let attempt = 0; ; attempt++) {
      port = await findFreePort();
      try {
        await pg.start();
        break;
      } catch (err) {
        if (attempt >= 2) throw err; // the port was taken in between: try another
      }
    }
  } catch (err) {
    await pg.destroy();
    throw err;
  }
  return pg;
}
