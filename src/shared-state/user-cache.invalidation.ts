import { randomUUID } from 'node:crypto';
import { VerifiedTokenCache } from '../tokens/verified-token.cache.js';
import { cipherFor, StateCipher } from './state-cipher.js';
import type { CognitoStateStore } from './state-store.interface.js';
import { outageOf } from './store-outage.js';

/** The store channel user-row changes are announced on. */
export const USER_CHANNEL = 'users';

/**
 * Keeps the user caches of several instances in step: when an instance writes a user row it
 * announces it (a keyed hash of the cache key and the instance's id: no identifier in clear),
 * and every other instance drops that user from its cache. Only with a shared store; with the
 * per-process store (or none) it does nothing.
 */
export class UserCacheInvalidation {
  private readonly instanceId = randomUUID();
  private readonly cipher: StateCipher;
  /** Hash to cache key, for the users cached here (so an announcement can be matched). */
  private readonly cached: VerifiedTokenCache<string>;
  private readonly subscription: Promise<(() => Promise<void>) | undefined> | undefined;

  /**
   * @param store the state store; nothing happens when it is absent or per-process
   * @param stateKey the state key (hashes must agree across instances)
   * @param drop removes a user from this instance's cache, by cache key
   * @param maxEntries the cache's own bound
   */
  constructor(
    private readonly store: CognitoStateStore | undefined,
    stateKey: string | undefined,
    private readonly drop: (key: string) => void,
    maxEntries: number,
  ) {
    this.cipher = store ? cipherFor(store, stateKey) : new StateCipher(undefined);
    this.cached = new VerifiedTokenCache(store && !store.perProcess ? maxEntries : 0);
    this.subscription =
      store && !store.perProcess ? store.subscribe(USER_CHANNEL, (message) => this.receive(message)).catch(() => undefined) : undefined;
  }

  /** Whether announcements are made and heard. */
  get active(): boolean {
    return this.subscription !== undefined;
  }

  /** Notes that the user under `key` is cached here until `expiresAtMs`. */
  remember(key: string, expiresAtMs: number): void {
    if (this.active) this.cached.set(this.cipher.hash('user-cache', key), key, expiresAtMs);
  }

  /** Tells the other instances that the row under `key` was written; a failing store is logged once per outage. */
  async announce(key: string): Promise<void> {
    if (!this.store || !this.active) return;
    try {
      await this.store.publish(USER_CHANNEL, `${this.instanceId}.${this.cipher.hash('user-cache', key)}`);
    } catch (err) {
      outageOf(this.store).fail(err);
    }
  }

  /** Stops listening. */
  async close(): Promise<void> {
    const unsubscribe = await this.subscription;
    await unsubscribe?.().catch(() => undefined);
  }

  private receive(message: string): void {
    const dot = message.indexOf('.');
    if (dot <= 0 || message.slice(0, dot) === this.instanceId) return;
    const hash = message.slice(dot + 1);
    const key = this.cached.get(hash, 0); // an expired entry too: dropping it is harmless
    if (key === undefined) return;
    this.cached.delete(hash);
    this.drop(key);
  }
}
