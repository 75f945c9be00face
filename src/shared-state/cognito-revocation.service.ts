import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from '../cognito-auth.constants.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import type { CognitoBaseClaims } from '../tokens/token.types.js';
import { InMemoryStateStore } from './in-memory-state.store.js';
import { RevocationMirror } from './revocation.mirror.js';
import { COGNITO_STATE_STORE, type CognitoStateStore } from './state-store.interface.js';

/** The claims revocation looks at; every verified Cognito token has them (`jti`s may be absent). */
export type RevocableClaims = Pick<CognitoBaseClaims, 'sub' | 'iat' | 'jti' | 'origin_jti'>;

/** How long a revocation record lives: 24 hours, the longest lifetime of an access or ID token. */
export const REVOCATION_TTL_MS = 24 * 60 * 60 * 1000;
/** The store channel revocations are announced on. */
export const REVOCATION_CHANNEL = 'revocations';

const SESSION_KEY = 'revoked:session:';
const USER_KEY = 'revoked:user:';

/** What goes over the channel: one session, or a user's cut-off (epoch seconds). */
type RevocationMessage =
  | { readonly kind: 'session'; readonly id: string; readonly expiresAtMs: number }
  | { readonly kind: 'user'; readonly sub: string; readonly at: number; readonly expiresAtMs: number };

/**
 * Revoked sessions and users. A Cognito token verifies offline until it expires, even after a
 * logout or a global sign-out at Cognito; this service remembers what was revoked so the tokens
 * are refused at once.
 *
 * - `revokeSession(claims)` revokes the session a token belongs to: its `origin_jti` (shared by
 *   every token of one sign-in, refreshed ones included), else its `jti`.
 * - `revokeUser(sub, at)` revokes every token of a user issued at or before `at`.
 * - `isRevoked(claims)` answers synchronously, in O(1), from this process's mirror of the records.
 *
 * Records live 24 hours. They are written to the `CognitoStateStore` and announced on its
 * channel; every instance sharing the store (itself included) feeds its mirror from there, so a
 * shared store spreads a revocation to every instance. The store failing is logged and the
 * record kept in this process: never an error for the caller.
 */
@Injectable()
export class CognitoRevocationService implements OnModuleDestroy {
  /** Records kept in the mirror, for sessions and for users each; past it the oldest go. */
  static readonly MAX_RECORDS = 100_000;

  private readonly logger = new Logger(CognitoRevocationService.name);
  private readonly store: CognitoStateStore;
  private readonly mirror: RevocationMirror;
  private readonly subscription: Promise<(() => Promise<void>) | undefined>;

  /**
   * @param settings the module's settings (`sharedState.store` is used when no store is injected)
   * @param store where records are shared; default `sharedState.store`, else this process's memory
   * @param clock milliseconds since the epoch; default `Date.now`
   */
  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) settings: CognitoAuthSettings,
    @Optional() @Inject(COGNITO_STATE_STORE) store?: CognitoStateStore,
    @Optional() @Inject(COGNITO_CLOCK) private readonly clock: () => number = Date.now,
  ) {
    this.store = store ?? settings.sharedState?.store ?? new InMemoryStateStore(clock);
    this.mirror = new RevocationMirror(CognitoRevocationService.MAX_RECORDS, clock, () =>
      this.logger.warn(`Over ${CognitoRevocationService.MAX_RECORDS} revocation records: the oldest are dropped`),
    );
    this.subscription = this.store
      .subscribe(REVOCATION_CHANNEL, (message) => this.receive(message))
      .catch((err: unknown) => {
        this.logger.warn(`Cannot subscribe to revocations; this instance sees only its own (${errorName(err)})`);
        return undefined;
      });
  }

  /** Revocation records held in this process now (sessions and users). */
  get recordCount(): number {
    return this.mirror.size;
  }

  /**
   * Revokes the session of a token: its `origin_jti`, else its `jti`. Resolves false, recording
   * nothing, when the token has neither.
   */
  async revokeSession(claims: Pick<RevocableClaims, 'jti' | 'origin_jti'>): Promise<boolean> {
    const id = firstId(claims.origin_jti, claims.jti);
    if (id === undefined) {
      this.logger.warn('A token with neither origin_jti nor jti cannot be revoked by session');
      return false;
    }
    const message: RevocationMessage = { kind: 'session', id, expiresAtMs: this.clock() + REVOCATION_TTL_MS };
    this.mirror.addSession(id, message.expiresAtMs);
    await this.share(SESSION_KEY + id, '1', message);
    return true;
  }

  /**
   * Revokes every token of `sub` issued at or before `at` (`iat <= at`).
   * @param at epoch seconds; default now. A later cut-off already recorded is kept.
   */
  async revokeUser(sub: string, at: number = Math.floor(this.clock() / 1000)): Promise<void> {
    if (typeof sub !== 'string' || sub === '') throw new TypeError('revokeUser needs the user\'s sub');
    if (!Number.isFinite(at)) throw new TypeError('revokeUser needs a cut-off time in epoch seconds');
    const cutOff = Math.max(at, this.mirror.userCutOff(sub) ?? at);
    // Kept 24 hours past the later of now and the cut-off: no token issued by then outlives that.
    const expiresAtMs = Math.max(this.clock(), cutOff * 1000) + REVOCATION_TTL_MS;
    const message: RevocationMessage = { kind: 'user', sub, at: cutOff, expiresAtMs };
    this.mirror.addUser(sub, cutOff, expiresAtMs);
    await this.share(USER_KEY + sub, String(cutOff), message);
  }

  /**
   * Whether a token is revoked: its session (`origin_jti` or `jti`) was revoked, or its user was
   * with a cut-off at or after its `iat`. Synchronous: reads this process's mirror only.
   */
  isRevoked(claims: RevocableClaims): boolean {
    return this.mirror.has(claims);
  }

  /** Ends the subscription to the store's revocation channel. */
  async onModuleDestroy(): Promise<void> {
    const unsubscribe = await this.subscription;
    await unsubscribe?.().catch((err: unknown) => this.logger.warn(`Cannot unsubscribe from revocations (${errorName(err)})`));
  }

  /** Writes the record to the store and announces it; a failing store is logged, not thrown. */
  private async share(key: string, value: string, message: RevocationMessage): Promise<void> {
    try {
      await this.store.set(key, value, message.expiresAtMs - this.clock());
      await this.store.publish(REVOCATION_CHANNEL, JSON.stringify(message));
    } catch (err) {
      this.logger.warn(`Revocation store unavailable; the revocation holds in this instance only (${errorName(err)})`);
    }
  }

  /** Feeds the mirror from the channel; anything that is not a well-formed record is ignored. */
  private receive(raw: string): void {
    const message = parseMessage(raw);
    if (message?.kind === 'session') this.mirror.addSession(message.id, message.expiresAtMs);
    else if (message?.kind === 'user') this.mirror.addUser(message.sub, message.at, message.expiresAtMs);
  }
}

const MAX_ID_LENGTH = 512;

function firstId(...ids: readonly unknown[]): string | undefined {
  return ids.find((id): id is string => typeof id === 'string' && id !== '' && id.length <= MAX_ID_LENGTH);
}

function parseMessage(raw: string): RevocationMessage | undefined {
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null) return undefined;
  const r = m as Record<string, unknown>;
  if (typeof r.expiresAtMs !== 'number' || !Number.isFinite(r.expiresAtMs)) return undefined;
  if (r.kind === 'session' && firstId(r.id) !== undefined) {
    return { kind: 'session', id: r.id as string, expiresAtMs: r.expiresAtMs };
  }
  if (r.kind === 'user' && firstId(r.sub) !== undefined && typeof r.at === 'number' && Number.isFinite(r.at)) {
    return { kind: 'user', sub: r.sub as string, at: r.at, expiresAtMs: r.expiresAtMs };
  }
  return undefined;
}

function errorName(err: unknown): string {
  return err instanceof Error && /^[A-Za-z]{1,80}$/.test(err.name) ? err.name : 'UnknownError';
}
