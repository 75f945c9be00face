import { VerifiedTokenCache } from './verified-token.cache.js';

/** Refresh attempts allowed per user (`sub`) in one window. */
export const REFRESH_ATTEMPTS_PER_WINDOW = 10;
/** The rate-limit window: one minute. */
export const REFRESH_WINDOW_MS = 60_000;
/** Users tracked at once; past it the least recently seen goes. */
const MAX_SUBJECTS = 10_000;

interface Window {
  count: number;
  readonly resetAtMs: number;
}

/**
 * Counts refresh attempts per user in fixed windows: the first attempt opens a one-minute window
 * in which 10 attempts are allowed. Each attempt needs a validly signed (expired) token of that
 * user, so one stolen expired pair, replayed with any number of refresh tokens, costs Cognito at
 * most 10 calls a minute. Bounded.
 */
export class RefreshRateLimiter {
  private readonly windows = new VerifiedTokenCache<Window>(MAX_SUBJECTS);

  constructor(
    private readonly limit = REFRESH_ATTEMPTS_PER_WINDOW,
    private readonly windowMs = REFRESH_WINDOW_MS,
  ) {}

  /**
   * Counts one attempt of `sub` at `nowMs`. Returns 0 when it is allowed, else the milliseconds
   * until the window ends (the attempt is then not counted).
   */
  take(sub: string, nowMs: number): number {
    const window = this.windows.get(sub, nowMs);
    if (!window) {
      this.windows.set(sub, { count: 1, resetAtMs: nowMs + this.windowMs }, nowMs + this.windowMs);
      return 0;
    }
    if (window.count >= this.limit) return Math.max(1, window.resetAtMs - nowMs);
    window.count++;
    return 0;
  }
}
