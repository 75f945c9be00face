import { randomUUID } from 'node:crypto';
import { AuthUnavailableError } from '../errors/cognito-auth.errors.js';
import type { StateCipher } from './state-cipher.js';
import type { CognitoStateStore } from './state-store.interface.js';
import { outageOf, type StoreOutage } from './store-outage.js';

/** What one run of the work produced: the value every instance gets, and how long it is kept. */
export interface SharedResult {
  readonly value: string;
  readonly ttlMs: number;
}

/** Options of {@link SharedSingleFlight}. */
export interface SharedSingleFlightOptions {
  /** Names its keys (`<namespace>:lock:<id>`, `<namespace>:result:<id>`) and its channel. */
  readonly namespace: string;
  readonly store: CognitoStateStore;
  /** Seals the results kept in the store. */
  readonly cipher: StateCipher;
  /** `Retry-After` of the 503 answered when the lock holder never delivers. */
  readonly retryAfterSeconds: number;
  /** How often a waiter looks for the result when no message woke it. Default 25 ms. */
  readonly pollIntervalMs?: number;
}

type Waited = { readonly value: string } | 'lock-free' | 'timed-out';

/** Lock rounds a caller goes through at most (the holder died, another took over...). */
const MAX_ROUNDS = 3;

/**
 * One run of some work per id across every instance sharing a store: the first caller takes a
 * lock (`setIfAbsent`, with a time to live a little over the work's own deadline), runs the work,
 * keeps its result (sealed) in the store for the time the work says and announces it on the
 * channel; the others wait for that result, woken by the announcement or, if they miss it, by
 * polling, for no longer than the lock lives. A lock whose holder vanished is taken over.
 *
 * The store failing never fails the caller: the work then runs in this process (one warning per
 * outage, shared by every user of the store). The caller deduplicates within its process.
 */
export class SharedSingleFlight {
  private readonly store: CognitoStateStore;
  private readonly outage: StoreOutage;
  private readonly pollMs: number;
  private readonly waiters = new Map<string, Set<() => void>>();
  private subscription: Promise<(() => Promise<void>) | undefined> | undefined;
  private closed = false;

  constructor(private readonly options: SharedSingleFlightOptions) {
    this.store = options.store;
    this.outage = outageOf(options.store);
    this.pollMs = options.pollIntervalMs ?? 25;
  }

  /**
   * The result kept under `id`, or the value `work` produces when this caller holds the lock.
   * @param id a store-safe id (a keyed hash), never a token
   * @param lockTtlMs how long the lock may be held: the work's own deadline plus a margin
   * @throws whatever `work` throws (not shared: the next caller runs the work again), or
   *   AuthUnavailableError when the holder delivered nothing while its lock lived
   */
  async run(id: string, work: () => Promise<SharedResult>, lockTtlMs: number): Promise<string> {
    const resultKey = `${this.options.namespace}:result:${id}`;
    const lockKey = `${this.options.namespace}:lock:${id}`;
    try {
      for (let round = 0; round < MAX_ROUNDS && !this.closed; round++) {
        const found = await this.read(resultKey);
        if (found !== undefined) return found;
        if (await this.guard(() => this.store.setIfAbsent(lockKey, randomUUID(), lockTtlMs)))
          return await this.lead(id, resultKey, lockKey, work);
        const waited = await this.wait(id, resultKey, lockKey, lockTtlMs);
        if (typeof waited === 'object') return waited.value;
        if (waited === 'timed-out') break;
      }
    } catch (err) {
      if (err instanceof StoreFailure) return (await work()).value;
      throw err;
    }
    throw new AuthUnavailableError('Authentication is temporarily unavailable', this.options.retryAfterSeconds);
  }

  /** Keeps `value` under `id` for `ttlMs` (sealed), replacing any result; a failing store is only logged. */
  async put(id: string, value: string, ttlMs: number): Promise<void> {
    const key = `${this.options.namespace}:result:${id}`;
    await this.guard(() => this.store.set(key, this.options.cipher.seal(value, key), ttlMs)).catch(() => undefined);
  }

  /** Forgets the result kept under `id`; a failing store is only logged. */
  async forget(id: string): Promise<void> {
    await this.guard(() => this.store.delete(`${this.options.namespace}:result:${id}`)).catch(() => undefined);
  }

  /** Ends the subscription and wakes every waiter (they answer 503). */
  async close(): Promise<void> {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
    const unsubscribe = await this.subscription;
    await unsubscribe?.().catch(() => undefined);
  }

  /** Holds the lock: runs the work unless a result arrived meanwhile, keeps and announces it, lets go. */
  private async lead(id: string, resultKey: string, lockKey: string, work: () => Promise<SharedResult>): Promise<string> {
    const again = await this.read(resultKey).catch(() => undefined);
    if (again !== undefined) return again;
    let result: SharedResult;
    try {
      result = await work();
    } catch (err) {
      await this.release(id, lockKey);
      throw err;
    }
    await this.guard(() => this.store.set(resultKey, this.options.cipher.seal(result.value, resultKey), result.ttlMs)).catch(
      () => undefined,
    );
    await this.release(id, lockKey);
    return result.value;
  }

  private async release(id: string, lockKey: string): Promise<void> {
    await this.guard(async () => {
      await this.store.delete(lockKey);
      await this.store.publish(this.options.namespace, id);
    }).catch(() => undefined);
  }

  /** Waits for the holder's result, its lock to go, or the lock's lifetime in polls. */
  private async wait(id: string, resultKey: string, lockKey: string, lockTtlMs: number): Promise<Waited> {
    this.ensureSubscribed();
    const checks = Math.max(1, Math.ceil(lockTtlMs / this.pollMs));
    for (let i = 0; i < checks && !this.closed; i++) {
      await this.nextWake(id);
      const found = await this.read(resultKey);
      if (found !== undefined) return { value: found };
      if ((await this.guard(() => this.store.get(lockKey))) === undefined) return 'lock-free';
    }
    return 'timed-out';
  }

  /** Resolves on the holder's announcement for `id`, or after one poll interval. */
  private nextWake(id: string): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const wakers = set;
      const wake = (): void => {
        clearTimeout(timer);
        wakers.delete(wake);
        if (wakers.size === 0 && this.waiters.get(id) === wakers) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(wake, this.pollMs);
      wakers.add(wake);
    });
  }

  private ensureSubscribed(): void {
    this.subscription ??= this.store
      .subscribe(this.options.namespace, (id) => {
        for (const wake of [...(this.waiters.get(id) ?? [])]) wake();
      })
      .catch(() => undefined); // polling alone still delivers
  }

  /** The sealed result under `key`, opened; a value that does not open is ignored. */
  private async read(key: string): Promise<string | undefined> {
    const sealed = await this.guard(() => this.store.get(key));
    return sealed === undefined ? undefined : this.options.cipher.open(sealed, key);
  }

  /** Runs a store call; a failure is recorded (logged once per outage) and thrown as `StoreFailure`. */
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      const value = await call();
      this.outage.ok();
      return value;
    } catch (err) {
      this.outage.fail(err);
      throw new StoreFailure();
    }
  }
}

/** A store call failed: the caller falls back to this process. */
class StoreFailure extends Error {
  override readonly name = 'StoreFailure';
}
