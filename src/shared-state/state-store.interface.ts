/**
 * Where state shared by several instances of an app lives: refresh single-flight, revocation
 * records, user-cache invalidation, online-check results. The library ships a per-process store
 * (`InMemoryStateStore`, the default) and a Redis one (`RedisStateStore`); any implementation of
 * this interface can be given instead (`sharedState.store`).
 *
 * Values are strings (callers serialise, and encrypt what must not be read), every record has a
 * time to live, and messages published on a channel reach every subscriber of that channel in
 * every instance sharing the store, the publishing one included. Keys and channels the library
 * uses never contain a token or a part of one: they are keyed hashes.
 */
export interface CognitoStateStore {
  /**
   * True when nothing leaves this process (the in-memory store): no instance shares it, so no
   * state key is needed to protect what is kept in it. Leave it out for any shared store.
   */
  readonly perProcess?: boolean;

  /**
   * Optional: false while the store cannot be reached (a store without it counts as always
   * reachable). Read on the request path, so it must answer at once, from memory.
   */
  readonly healthy?: boolean;

  /** The value of `key`, or `undefined` when it is absent or its time to live has passed. */
  get(key: string): Promise<string | undefined>;

  /** Stores `value` under `key` for `ttlMs` milliseconds, replacing any value there. */
  set(key: string, value: string, ttlMs: number): Promise<void>;

  /**
   * Stores `value` under `key` for `ttlMs` milliseconds only when `key` holds no live value
   * (Redis `SET NX PX`). Resolves true when this call stored it.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;

  /** Removes `key` (nothing happens when it is absent). */
  delete(key: string): Promise<void>;

  /** Sends `message` to every subscriber of `channel`, in this instance and the others. */
  publish(channel: string, message: string): Promise<void>;

  /**
   * Calls `listener` with every message published on `channel` from now on. Resolves, once the
   * subscription is active, to a function that ends it. A store that reconnects by itself may
   * resolve while it is unreachable: the subscription is then registered and becomes active when
   * the store is back (it says so through `onConnectionChange`).
   */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;

  /**
   * Optional: the live records whose keys start with `prefix`, as `[key, value]` pairs, so an
   * instance that starts (or reconnects) can load the records written before it listened.
   */
  list?(prefix: string): Promise<ReadonlyArray<readonly [string, string]>>;

  /**
   * Optional: calls `listener(false)` when the store becomes unreachable and `listener(true)`
   * when it is reachable again with its subscriptions active (messages published meanwhile were
   * missed: reload with `list`). Returns a function that stops the calls.
   */
  onConnectionChange?(listener: (up: boolean) => void): () => void;
}

/**
 * Injection token of the `CognitoStateStore` the library uses, which `CognitoAuthModule` provides
 * from the settings: `sharedState.store`, else Redis (`COGNITO_REDIS_URL`), else this process's
 * memory. Give your own store as `sharedState.store`; tests may `overrideProvider()` this token.
 */
export const COGNITO_STATE_STORE = Symbol.for('nest-cognito-auth:state-store');
