/** A value now, or a promise of it when it had to wait for I/O (or for libuv's thread pool). */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Whether `value` is a promise (any thenable). The request path answers synchronously when nothing
 * has to wait, and chains only on what is pending: each `await` of a value already known costs a
 * microtask turn and a promise per layer, for every request.
 */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** `next(value)`, at once when `value` is known, after it otherwise. */
export function andThen<T, U>(value: MaybePromise<T>, next: (value: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromiseLike(value) ? Promise.resolve(value).then(next) : next(value);
}
