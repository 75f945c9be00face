/**
 * Redis for the shared-state specs. The shared server (REDIS_URL, default redis://127.0.0.1:6379)
 * is used with a unique key prefix per run and never flushed or stopped: `dropPrefix` deletes
 * exactly the keys of one prefix. Fault specs start a private `redis-server` on a free port of
 * their own, which they may stop and start again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { waitFor } from './clock.js';

/** The shared Redis server of the test machine. */
export const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A state key for tests (32+ characters). */
export const TEST_STATE_KEY = 'test-state-key-0123456789abcdefghijklmnopqrstuvwxyz';

/** A key prefix no other run uses: `nca-test:<random>:`. */
export function uniquePrefix(label = 'run'): string {
  return `nca-test:${label}:${randomBytes(6).toString('hex')}:`;
}

/** A plain ioredis client for a spec's own checks (not the library's). Close it with `quit()`. */
export function testClient(url = SHARED_REDIS_URL): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: true });
}

/** Every key under `prefix`, with its value (for asserting what the library wrote). */
export async function entriesUnder(client: Redis, prefix: string): Promise<Array<[string, string]>> {
  const found: Array<[string, string]> = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const value = await client.get(key);
      if (value !== null) found.push([key, value]);
    }
  } while (cursor !== '0');
  return found;
}

/** Deletes the keys under `prefix` (and nothing else) on the shared server. */
export async function dropPrefix(prefix: string, url = SHARED_REDIS_URL): Promise<void> {
  const client = testClient(url);
  try {
    for (const [key] of await entriesUnder(client, prefix)) await client.del(key);
  } finally {
    await client.quit();
  }
}

/** A loopback port nobody listens on now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts connections on the port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `waitFor` with 10 ms between tries, for Redis connections and subscriptions; fails after `maxTries`. */
export function until(check: () => boolean | Promise<boolean>, what: string, maxTries = 1000): Promise<void> {
  return waitFor(check, what, maxTries, 10);
}

/** A private redis-server the spec owns: stop and start it at will (same port). */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Starts the server (again) and resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kills the server (SIGKILL: as abrupt as a crash) and resolves once the port is closed. */
  stop(): Promise<void>;
}

/** Starts a redis-server on a free loopback port, in memory only. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      await until(() => isListening(port), `redis-server on port ${port}`);
    },
    async stop() {
      const running = child;
      if (!running) return;
      child = undefined;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
      await until(async () => !(await isListening(port)), `port ${port} to close`);
    },
  };
  await redis.start();
  return redis;
}
