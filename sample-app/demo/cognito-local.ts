/**
 * Starts cognito-local (a local Cognito emulator, a dev dependency) as a child process: its own
 * working directory (it keeps its state in `<dir>/.cognito/`), a fixed loopback port (the port is
 * baked into the issuer of the tokens it signs, so it must not be 0), plain user names.
 *
 * Its tokens are signed with a key pair shipped inside the package: anyone can forge them. For
 * demos and tests on loopback only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';

export const LOOPBACK = '127.0.0.1';

export interface StartCognitoLocalOptions {
  /** TCP port on 127.0.0.1. */
  port: number;
  /** Working directory; created when missing. State survives restarts in `<dir>/.cognito/`. */
  dir: string;
  /** Append its output to this file (it is chatty, and logs refresh tokens at debug level). Default: discarded. */
  logFile?: string;
  /** How long to wait until it accepts connections. Default 15000 ms. */
  startTimeoutMs?: number;
}

export interface CognitoLocalProcess {
  /** `http://127.0.0.1:<port>`: the SDK endpoint, and the issuer domain (`<endpoint>/<poolId>`). */
  readonly endpoint: string;
  readonly port: number;
  readonly dir: string;
  readonly pid: number | undefined;
  /** Settles when the process exits, with its exit code or signal. */
  readonly exited: Promise<string>;
  /** SIGTERM, then SIGKILL after 3 s. Idempotent. */
  stop(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} on ${LOOPBACK} is already in use`);
    this.name = 'PortInUseError';
  }
}

/** A free loopback TCP port (bind port 0, read it, close). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function cognitoLocalBin(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('cognito-local')), 'bin', 'start.js');
}

/** A promise of the child's exit, described as `code 0` / `signal SIGTERM`. */
export function exitOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    const describe = () => (child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`);
    if (child.exitCode !== null || child.signalCode !== null) return resolve(describe());
    child.once('exit', () => resolve(describe()));
    child.once('error', (err) => resolve(`spawn error ${err.message}`));
  });
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves once the process is gone. */
export async function terminate(child: ChildProcess, exited: Promise<string>, graceMs = 3000): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const outcome = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}

export async function startCognitoLocal(opts: StartCognitoLocalOptions): Promise<CognitoLocalProcess> {
  if (await isListening(opts.port)) throw new PortInUseError(opts.port);
  await mkdir(path.join(opts.dir, '.cognito'), { recursive: true });
  // Plain user names (`alice`), not e-mail addresses.
  await writeFile(
    path.join(opts.dir, '.cognito', 'config.json'),
    `${JSON.stringify({ UserPoolDefaults: { UsernameAttributes: [] } }, null, 2)}\n`,
  );

  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(opts.port), HOST: LOOPBACK, NODE_OPTIONS: '' };
  delete env.DEBUG;
  delete env.COGNITO_LOCAL_DEVMODE;
  const child = spawn(process.execPath, [cognitoLocalBin()], { cwd: opts.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = exitOf(child);
  let tail = '';
  const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
  const collect = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
    log?.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  void exited.then(() => log?.end());

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= terminate(child, exited));

  const deadline = Date.now() + (opts.startTimeoutMs ?? 15_000);
  let gone: string | undefined;
  void exited.then((how) => (gone = how));
  for (;;) {
    if (gone !== undefined) throw new Error(`cognito-local exited (${gone}):\n${tail}`);
    if (await isListening(opts.port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`cognito-local did not answer on port ${opts.port} within ${opts.startTimeoutMs ?? 15_000} ms:\n${tail}`);
    }
    await sleep(50);
  }
  return { endpoint: `http://${LOOPBACK}:${opts.port}`, port: opts.port, dir: opts.dir, pid: child.pid, exited, stop };
}
