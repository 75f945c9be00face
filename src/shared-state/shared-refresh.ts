import { RefreshFailedError } from '../errors/cognito-auth.errors.js';
import type { RefreshedTokens } from '../tokens/token.types.js';
import { SharedSingleFlight } from './shared-single-flight.js';
import type { StateCipher } from './state-cipher.js';
import type { CognitoStateStore } from './state-store.interface.js';

/** Options of {@link SharedRefresh}. */
export interface SharedRefreshOptions {
  readonly store: CognitoStateStore;
  readonly cipher: StateCipher;
  /** The Cognito call's own deadline (SDK retries included), in ms: the lock lives a little longer. */
  readonly cognitoTimeoutMs: number;
  /** How long a successful refresh is handed out again (the result memo), in ms. */
  readonly resultTtlMs: number;
  /** How long a refused refresh token is answered without a call, in ms. */
  readonly refusedTtlMs: number;
  readonly retryAfterSeconds: number;
}

/** What the lock outlives the Cognito call by: the time to store and announce its result. */
const LOCK_MARGIN_MS = 1000;

type Outcome = { readonly tokens: RefreshedTokens } | { readonly refused: true };

/**
 * Refresh single-flight and result memo across every instance sharing a store: one Cognito call
 * per refresh token per storm, whichever instances the requests reach. The result is kept
 * (AES-256-GCM, under a keyed hash of the client id and refresh token) for a few seconds, so a
 * request that arrives after the call settled gets the same tokens, and with refresh-token
 * rotation every instance hands out the same new pair and refresh token. A refusal is shared the
 * same way (for `refusedTtlMs`); a failure to reach Cognito is not (the next request tries again).
 */
export class SharedRefresh {
  private readonly flight: SharedSingleFlight;

  constructor(private readonly options: SharedRefreshOptions) {
    this.flight = new SharedSingleFlight({
      namespace: 'refresh',
      store: options.store,
      cipher: options.cipher,
      retryAfterSeconds: options.retryAfterSeconds,
    });
  }

  /**
   * The tokens of this refresh token's refresh: from the memo, from the instance that holds the
   * lock, or from `call` when this one gets it.
   * @throws RefreshFailedError when Cognito refused the refresh token (here or elsewhere)
   * @throws whatever `call` throws otherwise (503s: not shared)
   */
  async run(clientId: string, refreshToken: string, call: () => Promise<RefreshedTokens>): Promise<RefreshedTokens> {
    const work = async (): Promise<{ value: string; ttlMs: number }> => {
      try {
        return { value: JSON.stringify({ tokens: await call() } satisfies Outcome), ttlMs: this.options.resultTtlMs };
      } catch (err) {
        if (!(err instanceof RefreshFailedError)) throw err;
        return { value: JSON.stringify({ refused: true } satisfies Outcome), ttlMs: this.options.refusedTtlMs };
      }
    };
    const outcome = parseOutcome(
      await this.flight.run(this.idOf(clientId, refreshToken), work, this.options.cognitoTimeoutMs + LOCK_MARGIN_MS),
    );
    if (!outcome || 'refused' in outcome) throw new RefreshFailedError();
    return outcome.tokens;
  }

  /** Drops the memoised result of a refresh token (before it is revoked). */
  forget(clientId: string, refreshToken: string): Promise<void> {
    return this.flight.forget(this.idOf(clientId, refreshToken));
  }

  /** Records in the store that a refresh token is refused (it was revoked): no instance refreshes with it. */
  markRefused(clientId: string, refreshToken: string): Promise<void> {
    return this.flight.put(
      this.idOf(clientId, refreshToken),
      JSON.stringify({ refused: true } satisfies Outcome),
      this.options.refusedTtlMs,
    );
  }

  /** Ends the subscription; waiting refreshes answer 503. */
  close(): Promise<void> {
    return this.flight.close();
  }

  private idOf(clientId: string, refreshToken: string): string {
    return this.options.cipher.hash('refresh', clientId, refreshToken);
  }
}

function parseOutcome(json: string): Outcome | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const o = parsed as { refused?: unknown; tokens?: Record<string, unknown> };
  if (o.refused === true) return { refused: true };
  const t = o.tokens;
  if (typeof t !== 'object' || t === null || typeof t.accessToken !== 'string' || typeof t.idToken !== 'string') return undefined;
  const tokens: RefreshedTokens =
    typeof t.refreshToken === 'string'
      ? { accessToken: t.accessToken, idToken: t.idToken, refreshToken: t.refreshToken }
      : { accessToken: t.accessToken, idToken: t.idToken };
  return { tokens };
}
