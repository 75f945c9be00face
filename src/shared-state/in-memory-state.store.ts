import { Logger } from '@nestjs/common';
import type { CognitoStateStore } from './state-store.interface.js';

/** Records an `InMemoryStateStore` holds by default. */
export const IN_MEMORY_STORE_MAX_ENTRIES = 200_000;

interface Entry {
  readonly value: string;
  readonly expiresAtMs: number;
}

/**
 * The default `CognitoStateStore`: this process's memory, shared with no other instance.
 *
 * - Bounded: past `maxEntries` the record stored longest ago goes first.
 * - Times to live are read from the injected clock and enforced when a record is read (no
 *   timers, so nothing keeps the process alive and nothing needs closing).
 * - Publish/subscribe stays in the process: a message reaches this store's subscribers before
 *   `publish` resolves. A listener that throws is logged (by error class) and skipped.
 */
export class InMemoryStateStore implements CognitoStateStore {
  readonly perProcess = true;
  private readonly logger = new Logger(InMemoryStateStore.name);
  private readonly entries = new Map<string, Entry>();
  private readonly channels = new Map<string, Set<(message: string) => void>>();

  /**
   * @param clock milliseconds since the epoch; default `Date.now`
   * @param maxEntries records kept at most; default 200000
   */
  constructor(
    private readonly clock: () => number = Date.now,
    private readonly maxEntries: number = IN_MEMORY_STORE_MAX_ENTRIES,
  ) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  /** Records held now, expired ones not yet read included. */
  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<string | undefined> {
    return this.live(key)?.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.store(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.live(key)) return false;
    this.store(key, value, ttlMs);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async publish(channel: string, message: string): Promise<void> {
    const listeners = this.channels.get(channel);
    for (const listener of listeners ? [...listeners] : []) {
      try {
        listener(message);
      } catch (err) {
        this.logger.warn(`A subscriber of a state channel failed: ${err instanceof Error ? err.name : typeof err}`);
      }
    }
  }

  async list(prefix: string): Promise<ReadonlyArray<readonly [string, string]>> {
    const found: Array<readonly [string, string]> = [];
    for (const key of [...this.entries.keys()]) {
      if (!key.startsWith(prefix)) continue;
      const entry = this.live(key);
      if (entry) found.push([key, entry.value]);
    }
    return found;
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    // Wrapped, so one listener subscribed twice gets two independent subscriptions.
    const subscription = (message: string): void => listener(message);
    let listeners = this.channels.get(channel);
    if (!listeners) this.channels.set(channel, (listeners = new Set()));
    listeners.add(subscription);
    return async () => {
      listeners.delete(subscription);
      if (listeners.size === 0 && this.channels.get(channel) === listeners) this.channels.delete(channel);
    };
  }

  /** The entry of `key` unless absent or expired; an expired one is dropped on the way. */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAtMs <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private store(key: string, value: string, ttlMs: number): void {
    if (typeof ttlMs !== 'number' || !(ttlMs > 0)) throw new RangeError('ttlMs must be a positive number of milliseconds');
    this.entries.delete(key); // re-inserted last: Map order is the eviction order
    this.entries.set(key, { value, expiresAtMs: this.clock() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }
}
