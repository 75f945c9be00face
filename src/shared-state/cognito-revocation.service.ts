import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from '../cognito-auth.constants.js';
import { AuthUnavailableError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import type { CognitoBaseClaims } from '../tokens/token.types.js';
import { InMemoryStateStore } from './in-memory-state.store.js';
import { RevocationMirror } from './revocation.mirror.js';
import { firstId, RevocationCodec, REVOCATION_CHANNEL, REVOCATION_KEY_PREFIX, type RevocationRecord } from './revocation.records.js';
import { cipherFor } from './state-cipher.js';
import { COGNITO_STATE_STORE, type CognitoStateStore } from './state-store.interface.js';
import { errorName, outageOf, type StoreOutage } from './store-outage.js';

export { REVOCATION_CHANNEL } from './revocation.records.js';

/** The claims revocation looks at; every verified Cognito token has them (`jti`s may be absent). */
export type RevocableClaims = Pick<CognitoBaseClaims, 'sub' | 'iat' | 'jti' | 'origin_jti'>;

/** How long a revocation record lives: 24 hours, the longest lifetime of an access or ID token. */
export const REVOCATION_TTL_MS = 24 * 60 * 60 * 1000;
/** A reload that failed while the store said it was up is tried again after this long. */
const RELOAD_RETRY_MS = 1000;
/** Records made while the store was down, kept to be written once it is back. */
const MAX_PENDING = 10_000;

/**
 * Revoked sessions and users. A Cognito token verifies offline until it expires, even after a
 * logout or a global sign-out at Cognito; this service remembers what was revoked so the tokens
 * are refused at once.
 *
 * - `revokeSession(claims)` revokes the session a token belongs to: its `origin_jti` (shared by
 *   every token of one sign-in, refreshed ones included), else its `jti`.
 * - `revokeUser(sub, at)` revokes every token of a user issued at or before `at`.
 * - `isRevoked(claims)` answers synchronously, in O(1), from this process's mirror of the records:
 *   the request path never waits for the store.
 *
 * Records live 24 hours. They are written to the `CognitoStateStore` (keyed by a hash, sealed) and
 * announced on its channel; every instance sharing the store (itself included) feeds its mirror
 * from there, and loads the records already in the store when it starts and after the store comes
 * back from an outage. The store failing is logged once per outage and the record kept in this
 * process (never an error for the caller), then written and announced once the store is back. With `revocationFailClosed`, `isRevoked` throws 503
 * `auth_unavailable` while the store is unreachable or its records are not loaded yet.
 */
@Injectable()
export class CognitoRevocationService implements OnModuleInit, OnModuleDestroy {
  /** Records kept in the mirror, for sessions and for users each; past it the oldest go. */
  static readonly MAX_RECORDS = 100_000;

  private readonly logger = new Logger(CognitoRevocationService.name);
  private readonly store: CognitoStateStore;
  private readonly mirror: RevocationMirror;
  private readonly codec: RevocationCodec;
  private readonly outage: StoreOutage;
  private readonly failClosed: boolean;
  private readonly retryAfterSeconds: number;
  private readonly subscription: Promise<(() => Promise<void>) | undefined>;
  private readonly stopWatching: (() => void) | undefined;
  /** False while records may be missing here: before the first load of a reconnecting store, and during its outages. */
  private synced: boolean;
  private loading: Promise<void> | undefined;
  /** Records the store could not take; written (and announced) when it comes back. */
  private readonly pending = new Map<string, RevocationRecord>();
  private retry: NodeJS.Timeout | undefined;
  private destroyed = false;

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
    this.codec = new RevocationCodec(cipherFor(this.store, settings.sharedState?.stateKey));
    this.outage = outageOf(this.store);
    this.failClosed = settings.sharedState?.revocationFailClosed === true;
    this.retryAfterSeconds = settings.retryAfterSeconds;
    this.mirror = new RevocationMirror(CognitoRevocationService.MAX_RECORDS, clock, () =>
      this.logger.warn(`Over ${CognitoRevocationService.MAX_RECORDS} revocation records: the oldest are dropped`),
    );
    this.synced = this.store.onConnectionChange === undefined;
    this.stopWatching = this.store.onConnectionChange?.((up) => (up ? void this.reload() : (this.synced = false)));
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

  /** Loads the records already in the store (written before this instance listened). */
  async onModuleInit(): Promise<void> {
    await this.reload();
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
    const record: RevocationRecord = { kind: 'session', id, expiresAtMs: this.clock() + REVOCATION_TTL_MS };
    this.mirror.addSession(id, record.expiresAtMs);
    await this.share(record);
    return true;
  }

  /**
   * Revokes every token of `sub` issued at or before `at` (`iat <= at`).
   * @param at epoch seconds; default now. A later cut-off already recorded is kept.
   */
  async revokeUser(sub: string, at: number = Math.floor(this.clock() / 1000)): Promise<void> {
    if (typeof sub !== 'string' || sub === '') throw new TypeError("revokeUser needs the user's sub");
    if (!Number.isFinite(at)) throw new TypeError('revokeUser needs a cut-off time in epoch seconds');
    const cutOff = Math.max(at, this.mirror.userCutOff(sub) ?? at);
    // Kept 24 hours past the later of now and the cut-off: no token issued by then outlives that.
    const expiresAtMs = Math.max(this.clock(), cutOff * 1000) + REVOCATION_TTL_MS;
    this.mirror.addUser(sub, cutOff, expiresAtMs);
    await this.share({ kind: 'user', sub, at: cutOff, expiresAtMs });
  }

  /**
   * Whether a token is revoked: its session (`origin_jti` or `jti`) was revoked, or its user was
   * with a cut-off at or after its `iat`. Synchronous: reads this process's mirror only.
   * @throws AuthUnavailableError (503) with `revocationFailClosed`, for a token not known to be
   *   revoked while the store is unreachable or its records are not loaded
   */
  isRevoked(claims: RevocableClaims): boolean {
    if (this.mirror.has(claims)) return true;
    if (this.failClosed && (!this.synced || this.store.healthy === false)) {
      throw new AuthUnavailableError('Revocation records are unavailable', this.retryAfterSeconds);
    }
    return false;
  }

  /** Ends the subscription to the store's revocation channel and the reload retries. */
  async onModuleDestroy(): Promise<void> {
    this.destroyed = true;
    clearTimeout(this.retry);
    this.stopWatching?.();
    const unsubscribe = await this.subscription;
    await unsubscribe?.().catch((err: unknown) => this.logger.warn(`Cannot unsubscribe from revocations (${errorName(err)})`));
  }

  /**
   * Writes the record to the store and announces it; a failing store is logged once per outage,
   * not thrown, and the record kept to be written when the store is back.
   */
  private async share(record: RevocationRecord): Promise<boolean> {
    const key = this.codec.keyOf(record);
    const ttlMs = record.expiresAtMs - this.clock();
    if (ttlMs <= 0) return true;
    try {
      await this.store.set(key, this.codec.seal(record, key), ttlMs);
      await this.store.publish(REVOCATION_CHANNEL, this.codec.seal(record, REVOCATION_CHANNEL));
      this.pending.delete(key);
      this.outage.ok();
      return true;
    } catch (err) {
      this.outage.fail(err);
      this.pending.delete(key); // re-inserted last: the oldest goes first past the bound
      this.pending.set(key, record);
      if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
      return false;
    }
  }

  /** Writes the records the store missed while it was down (a user's cut-off: the latest known). */
  private async flushPending(): Promise<void> {
    for (const [key, record] of [...this.pending]) {
      const latest = record.kind === 'user' ? { ...record, at: this.mirror.userCutOff(record.sub) ?? record.at } : record;
      this.pending.delete(key);
      if (!(await this.share(latest))) return;
    }
  }

  /** Loads every record of the store into the mirror (one load at a time); retried while it fails. */
  private reload(): Promise<void> {
    if (!this.store.list || this.destroyed) return Promise.resolve();
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<void> {
    try {
      const records = await this.store.list!(REVOCATION_KEY_PREFIX);
      for (const [key, sealed] of records) this.add(this.codec.open(sealed, key));
      this.synced = true;
      this.outage.ok();
      await this.flushPending();
    } catch (err) {
      this.outage.fail(err);
      if (this.store.healthy !== false && !this.destroyed) {
        clearTimeout(this.retry);
        this.retry = setTimeout(() => void this.reload(), RELOAD_RETRY_MS);
        this.retry.unref();
      }
    }
  }

  /** Feeds the mirror from the channel; anything that is not a sealed, well-formed record is ignored. */
  private receive(message: string): void {
    this.add(this.codec.open(message, REVOCATION_CHANNEL));
  }

  private add(record: RevocationRecord | undefined): void {
    if (record?.kind === 'session') this.mirror.addSession(record.id, record.expiresAtMs);
    else if (record?.kind === 'user') this.mirror.addUser(record.sub, record.at, record.expiresAtMs);
  }
}
