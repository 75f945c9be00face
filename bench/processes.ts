/**
 * The bench's child processes: forking a compiled bench script, waiting for its IPC messages,
 * stopping it, and the bench app (`BenchServer`: CPU time and SQL statements per response).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round, within } from './common.js';
import type { RunResult } from './load.js';
import type { ServerConfig, ServerMessage } from './server-protocol.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** A forked bench script with the tail of its output (for failure reports). */
export type BenchChild = ChildProcess & { stderrTail: () => string };

export function waitFor<T extends { type: string }>(child: ChildProcess, type: string, ms: number, what: string): Promise<T> {
  return within(
    new Promise<T>((resolve, reject) => {
      const onMessage = (msg: T & { message?: string }): void => {
        if (msg.type === type) {
          cleanup();
          resolve(msg);
        } else if (msg.type === 'error') {
          cleanup();
          reject(new Error(`${what}: ${msg.message}`));
        }
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`${what} exited (code ${code}) before "${type}"`));
      };
      const cleanup = (): void => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
    }),
    ms,
    what,
  );
}

/** Every child forked and still running: killed if the bench is interrupted. */
export const children = new Set<ChildProcess>();
/** Forks a compiled bench script, collecting its stderr for failure reports. */
export function forkScript(script: string, args: string[], options: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {}): BenchChild {
  const child = fork(join(here, script), args, {
    env: { ...process.env, ...options.env },
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  }) as BenchChild;
  children.add(child);
  child.once('exit', () => children.delete(child));
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.stderrTail = () => tail;
  return child;
}

export async function stopChild(child: ChildProcess, message?: { type: string }): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (message && child.connected) child.send(message);
  else child.kill('SIGTERM');
  try {
    await within(exited, 10_000, 'child exit');
  } catch {
    child.kill('SIGKILL');
    await within(exited, 5000, 'child kill').catch(() => undefined);
  }
}

export class BenchServer {
  private constructor(
    readonly child: BenchChild,
    readonly base: string,
    readonly routes: string[],
    readonly startupMs: number,
  ) {}

  /** Forks bench/server.js with `config`; `execArgv` e.g. `--cpu-prof` for a profile. */
  static async start(config: ServerConfig, execArgv: string[] = []): Promise<BenchServer> {
    const child = forkScript('server.js', [], { env: { BENCH_SERVER_CONFIG: JSON.stringify(config), NODE_ENV: 'production' }, execArgv });
    try {
      const ready = await waitFor<Extract<ServerMessage, { type: 'ready' }>>(child, 'ready', 60_000, 'bench server');
      return new BenchServer(child, `http://127.0.0.1:${ready.port}`, ready.routes, ready.startupMs);
    } catch (err) {
      await stopChild(child);
      throw new Error(`${(err as Error).message}\n${child.stderrTail()}`, { cause: err });
    }
  }

  async info(): Promise<Extract<ServerMessage, { type: 'info' }>> {
    const reply = waitFor<Extract<ServerMessage, { type: 'info' }>>(this.child, 'info', 15_000, 'server info');
    this.child.send({ type: 'info' });
    return reply;
  }

  /** CPU time (user + system, and user alone; all threads) the server process has used, µs, and SQL statements run per DataSource. */
  async counters(): Promise<Extract<ServerMessage, { type: 'cpu' }>> {
    const reply = waitFor<Extract<ServerMessage, { type: 'cpu' }>>(this.child, 'cpu', 15_000, 'server cpu');
    this.child.send({ type: 'cpu' });
    return reply;
  }

  /** The server's monotonic clock (the CPU profiler's), µs: marks a load window in a `--cpu-prof` profile. */
  async mark(): Promise<number> {
    const reply = waitFor<Extract<ServerMessage, { type: 'mark' }>>(this.child, 'mark', 15_000, 'server mark');
    this.child.send({ type: 'mark' });
    return (await reply).monotonicUs;
  }

  /**
   * Runs a load and adds the server's CPU time and SQL statements per response to its result, and
   * the median time of the route's synchronous `canActivate` calls (timed guards only).
   */
  async measured(load: () => Promise<RunResult>, database?: string, path?: string): Promise<RunResult> {
    const before = await this.counters();
    const res = await load();
    const after = await this.counters();
    const n = Math.max(1, res.requests);
    return {
      ...res,
      serverCpuUsPerRequest: round((after.cpuUs - before.cpuUs) / n, 1),
      serverUserCpuUsPerRequest: round((after.userUs - before.userUs) / n, 1),
      ...(path && after.guards[path] ? { guardMedianNs: after.guards[path].medianNs, guardSyncCalls: after.guards[path].calls } : {}),
      serverGcUsPerRequest: round((after.gcUs - before.gcUs) / n, 1),
      ...(database ? { sqlPerRequest: round(((after.queries[database] ?? 0) - (before.queries[database] ?? 0)) / n, 3) } : {}),
    };
  }

  stop(): Promise<void> {
    return stopChild(this.child, { type: 'shutdown' });
  }
}

export async function runChild<T>(script: string, args: string[], type: string, timeoutMs: number, execArgv: string[] = []): Promise<T> {
  const child = forkScript(script, args, { execArgv });
  try {
    return await waitFor<T & { type: string }>(child, type, timeoutMs, script);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${child.stderrTail()}`, { cause: err });
  } finally {
    await stopChild(child);
  }
}
