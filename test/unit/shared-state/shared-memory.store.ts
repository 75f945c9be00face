import { InMemoryStateStore } from '../../../src/shared-state/in-memory-state.store.js';
import type { CognitoStateStore } from '../../../src/shared-state/state-store.interface.js';

/**
 * A store that behaves like a shared one (not `perProcess`) over an in-memory store, for unit
 * specs: it can be switched down (every call rejects, `healthy` false, listeners told) and up
 * again, and counts the calls made to it.
 */
export class SharedMemoryStore implements CognitoStateStore {
  readonly inner: InMemoryStateStore;
  calls = 0;
  private down = false;
  private readonly listeners = new Set<(up: boolean) => void>();

  /** @param inner the records and channels; pass another view's to share them (two instances, each with its own connection state) */
  constructor(clock: () => number = Date.now, inner?: InMemoryStateStore) {
    this.inner = inner ?? new InMemoryStateStore(clock);
  }

  get healthy(): boolean {
    return !this.down;
  }

  /** Makes every call fail (or work again) and tells the connection listeners. */
  setDown(down: boolean): void {
    this.down = down;
    for (const l of [...this.listeners]) l(!down);
  }

  get(key: string): Promise<string | undefined> {
    return this.call(() => this.inner.get(key));
  }
  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.call(() => this.inner.set(key, value, ttlMs));
  }
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.call(() => this.inner.setIfAbsent(key, value, ttlMs));
  }
  delete(key: string): Promise<void> {
    return this.call(() => this.inner.delete(key));
  }
  publish(channel: string, message: string): Promise<void> {
    return this.call(() => this.inner.publish(channel, message));
  }
  /** Messages published while this view is down are lost to it, as on a dropped connection. */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>> {
    return this.inner.subscribe(channel, (message) => (this.down ? undefined : listener(message)));
  }
  list(prefix: string): Promise<ReadonlyArray<readonly [string, string]>> {
    return this.call(() => this.inner.list(prefix));
  }
  onConnectionChange(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private call<T>(run: () => Promise<T>): Promise<T> {
    this.calls++;
    if (this.down) return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    return run();
  }
}
