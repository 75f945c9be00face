import type { OnApplicationShutdown } from '@nestjs/common';
import {
  DISCONNECT_TIMEOUT_MS,
  escapeGlob,
  failFastOptions,
  loadIoredis,
  type RedisClientConstructor,
  type RedisClientLike,
} from './redis-client.js';
import type { CognitoStateStore } from './state-store.interface.js';
import { outageOf } from './store-outage.js';

/** Options of {@link RedisStateStore}. */
export interface RedisStateStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://...` (TLS). */
  readonly url: string;
  /** Put before every key and channel, so several apps can share one Redis. Default `nca:`. */
  readonly prefix?: string;
  /** Upper bound of every command, in ms. Default 500. */
  readonly commandTimeoutMs?: number;
  /** Upper bound of every connection attempt, and of the wait for the first one, in ms. Default 2000. */
  readonly connectTimeoutMs?: number;
  /** The ioredis client class; default `require('ioredis')`, loaded now (a start-up error if absent). */
  readonly client?: RedisClientConstructor;
  /** The setting named by a start-up error (the option or environment variable the URL came from). */
  readonly setting?: string;
}

const LIST_BATCH = 1000;
/** Records `list` returns at most: a bound on what a start-up load can cost. */
export const REDIS_LIST_MAX = 250_000;

/**
 * A `CognitoStateStore` on Redis through ioredis (an optional peer, loaded only when this store
 * is created): `SET PX` for times to live, `SET NX PX` for locks, `PUBLISH`/`SUBSCRIBE` on a
 * second connection. Every key and channel is prefixed.
 *
 * A down or slow Redis fails fast: no offline queue, a timeout on every command (500 ms by
 * default), no command retried over a reconnection. The clients reconnect by themselves; once
 * both are back the subscriptions are made again and `onConnectionChange` listeners hear it (so
 * they can reload what they missed). An outage is logged once per instance. `close()` (called
 * by Nest on `app.close()`) ends both connections and every timer.
 */
export class RedisStateStore implements CognitoStateStore, OnApplicationShutdown {
  /** The prefix of every key and channel. */
  readonly prefix: string;
  private readonly client: RedisClientLike;
  private subscriber: RedisClientLike | undefined;
  private readonly channels = new Map<string, Set<(message: string) => void>>();
  private readonly connectionListeners = new Set<(up: boolean) => void>();
  private readonly outage = outageOf(this);
  private readonly connectTimeoutMs: number;
  /** The connections that have been ready once (with their subscriptions made). */
  private readonly everReady = new WeakSet<RedisClientLike>();
  /** Calls waiting for a connection's first readiness. */
  private readonly firstReady = new Set<() => void>();
  private up = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: RedisStateStoreOptions) {
    const Redis = options.client ?? loadIoredis(options.setting);
    this.prefix = options.prefix ?? 'nca:';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    this.client = new Redis(options.url, failFastOptions(options.commandTimeoutMs ?? 500, this.connectTimeoutMs));
    this.watch(this.client);
  }

  /** True when the command connection (and the subscriber, once there is one) is ready. */
  get healthy(): boolean {
    return this.client.status === 'ready' && (this.subscriber === undefined || this.subscriber.status === 'ready');
  }

  /** A round trip to Redis (`PING`), bounded by the command timeout: for health checks. */
  async ping(): Promise<void> {
    await this.usable();
    await this.client.ping();
  }

  async get(key: string): Promise<string | undefined> {
    await this.usable();
    return (await this.client.get(this.prefix + key)) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.usable();
    await this.client.set(this.prefix + key, value, 'PX', checkTtl(ttlMs));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    await this.usable();
    return (await this.client.set(this.prefix + key, value, 'PX', checkTtl(ttlMs), 'NX')) === 'OK';
  }

  async delete(key: string): Promise<void> {
    await this.usable();
    await this.client.del(this.prefix + key);
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.usable();
    await this.client.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    if (this.closing) throw new Error('The Redis state store is closed');
    const full = this.prefix + channel;
    const subscription = (message: string): void => listener(message);
    let listeners = this.channels.get(full);
    if (!listeners) this.channels.set(full, (listeners = new Set()));
    listeners.add(subscription);
    const subscriber = this.ensureSubscriber();
    // A new connection is waited for (it subscribes to every registered channel once ready); while
    // Redis is unreachable the subscription stays registered and is made on reconnection.
    if (subscriber.status !== 'ready') await this.firstConnection(subscriber);
    else if (listeners.size === 1) await subscriber.subscribe(full).catch((err: unknown) => this.outage.fail(err));
    return async () => {
      listeners.delete(subscription);
      if (listeners.size > 0 || this.channels.get(full) !== listeners) return;
      this.channels.delete(full);
      if (this.subscriber?.status === 'ready' && !this.closing) await this.subscriber.unsubscribe(full).catch(() => undefined);
    };
  }

  async list(prefix: string): Promise<ReadonlyArray<readonly [string, string]>> {
    await this.usable();
    const pattern = `${escapeGlob(this.prefix + prefix)}*`;
    const found: Array<readonly [string, string]> = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', LIST_BATCH);
      cursor = next;
      const unique = [...new Set(keys)];
      if (unique.length === 0) continue;
      const values = await this.client.mget(...unique);
      unique.forEach((key, i) => {
        const value = values[i];
        if (typeof value === 'string' && found.length < REDIS_LIST_MAX) found.push([key.slice(this.prefix.length), value]);
      });
    } while (cursor !== '0' && found.length < REDIS_LIST_MAX);
    return found;
  }

  onConnectionChange(listener: (up: boolean) => void): () => void {
    const wrapped = (up: boolean): void => listener(up);
    this.connectionListeners.add(wrapped);
    return () => void this.connectionListeners.delete(wrapped);
  }

  /** Ends both connections (gracefully when they are up) and forgets every subscription. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.channels.clear();
      this.connectionListeners.clear();
      for (const waiter of [...this.firstReady]) waiter();
      await Promise.all([this.subscriber, this.client].map((c) => (c ? endClient(c, this.connectTimeoutMs) : undefined)));
    })();
    return this.closing;
  }

  /** Nest calls this on `app.close()`, after every provider's `onModuleDestroy`. */
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /**
   * Commands fail at once while Redis is unreachable, except during the very first connection
   * (start-up), which is waited for up to `connectTimeoutMs`.
   */
  private async usable(): Promise<void> {
    if (this.closing) throw new Error('The Redis state store is closed');
    if (this.client.status !== 'ready') await this.firstConnection(this.client);
  }

  /** Waits (up to `connectTimeoutMs`) for a connection that was never ready yet; at once otherwise. */
  private async firstConnection(client: RedisClientLike): Promise<void> {
    if (this.everReady.has(client) || this.closing) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.firstReady.delete(check);
        resolve();
      };
      const check = (): void => (this.everReady.has(client) || this.closing ? done() : undefined);
      const timer = setTimeout(done, this.connectTimeoutMs);
      this.firstReady.add(check);
    });
  }

  private ensureSubscriber(): RedisClientLike {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.client.duplicate();
    this.subscriber = subscriber;
    subscriber.on('message', (channel, message) => this.dispatch(channel, message));
    this.watch(subscriber);
    return subscriber;
  }

  private dispatch(channel: string, message: string): void {
    for (const listener of [...(this.channels.get(channel) ?? [])]) {
      try {
        listener(message);
      } catch {
        // A listener's failure is its own: the others still get the message.
      }
    }
  }

  private watch(client: RedisClientLike): void {
    client.on('error', (err) => this.outage.fail(err));
    client.on('ready', () => {
      void this.resubscribe(client).then(() => {
        this.everReady.add(client);
        for (const waiter of [...this.firstReady]) waiter();
        this.update();
      });
    });
    client.on('close', () => this.update());
    client.on('end', () => this.update());
  }

  /** Makes every registered subscription again on a (re)connected subscriber. */
  private async resubscribe(client: RedisClientLike): Promise<void> {
    if (client !== this.subscriber || this.channels.size === 0 || this.closing) return;
    await client.subscribe(...this.channels.keys()).catch((err: unknown) => this.outage.fail(err));
  }

  /** Tells the listeners when both connections have come up (subscriptions made) or one went down. */
  private update(): void {
    const up = this.healthy && !this.closing;
    if (up === this.up) return;
    this.up = up;
    if (up) this.outage.ok();
    for (const listener of [...this.connectionListeners]) {
      try {
        listener(up);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}

function checkTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !(ttlMs > 0)) throw new RangeError('ttlMs must be a positive number of milliseconds');
  return Math.max(1, Math.ceil(ttlMs));
}

/**
 * `QUIT` when connected (bounded), else (or when that fails) a hard disconnect; no reconnection
 * after either. A hard disconnect leaves ioredis's own disconnect timer running when the socket
 * had already failed: it is waited out, so nothing the store opened outlives `close()`.
 */
async function endClient(client: RedisClientLike, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([client.quit().catch(() => undefined), bounded]);
    clearTimeout(timer);
  }
  if (client.status === 'end') return;
  client.disconnect();
  await new Promise((resolve) => setTimeout(resolve, DISCONNECT_TIMEOUT_MS + 10));
}
