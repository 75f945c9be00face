/**
 * Where state shared by several instances of an app lives: refresh single-flight, revocation
 * records, user-cache invalidation. The library ships a per-process store
 * (`InMemoryStateStore`, the default) and, later, a Redis one; any implementation of this
 * interface can be given instead (`sharedState.store`).
 *
 * Values are strings (callers serialise), every record has a time to live, and messages
 * published on a channel reach every subscriber of that channel in every instance sharing the
 * store, the publishing one included.
 */
export interface CognitoStateStore {
  /**
   * True when nothing leaves this process (the in-memory store): no instance shares it, so no
   * state key is needed to protect what is kept in it. Leave it out for any shared store.
   */
  readonly perProcess?: boolean;

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
   * subscription is active, to a function that ends it.
   */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
}

/**
 * Injection token of the `CognitoStateStore` the library uses. Provide your own store under it
 * (or give `sharedState.store`); without one every instance keeps its state in its own memory.
 */
export const COGNITO_STATE_STORE = Symbol.for('nest-cognito-auth:state-store');
