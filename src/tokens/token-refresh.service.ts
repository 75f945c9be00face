import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import {
  type AuthenticationResultType,
  GetTokensFromRefreshTokenCommand,
  InitiateAuthCommand,
  RevokeTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from '../cognito-auth.constants.js';
import { AuthUnavailableError, RefreshFailedError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { CognitoRevocationService } from '../shared-state/cognito-revocation.service.js';
import { SharedRefresh } from '../shared-state/shared-refresh.js';
import { cipherFor } from '../shared-state/state-cipher.js';
import { COGNITO_STATE_STORE, type CognitoStateStore } from '../shared-state/state-store.interface.js';
import { CognitoClients } from './cognito-client.js';
import { callCognito } from './cognito-errors.js';
import { RefreshRateLimiter } from './refresh-rate.limiter.js';
import type { RefreshInput, RevokeOptions } from './refresh.types.js';
import { computeSecretHash } from './secret-hash.js';
import type { RefreshedTokens, VerifiedTokens } from './token.types.js';
import { VerifiedTokenCache } from './verified-token.cache.js';

export type { RefreshInput, RevokeOptions } from './refresh.types.js';
export { computeSecretHash } from './secret-hash.js';

const RECENT_REFRESH_TTL_MS = 10_000;
const RECENT_REFRESH_ENTRIES = 1000;
/** A refresh token Cognito refused is answered from memory for this long, with no call. */
const REFUSED_TTL_MS = 60_000;
const REFUSED_ENTRIES = 10_000;

function refreshKey(clientId: string, refreshToken: string): string {
  return createHash('sha256').update(clientId).update('\0').update(refreshToken).digest('base64url');
}

/**
 * Refreshes Cognito tokens with a refresh token (`REFRESH_TOKEN_AUTH`, or
 * `GetTokensFromRefreshToken` when refresh-token rotation is on) and revokes refresh tokens.
 * Knows nothing of HTTP requests or cookies.
 *
 * - Concurrent refreshes of one refresh token share one Cognito call, and requests arriving just
 *   after it settled get its result. With a shared store (Redis) that holds across every
 *   instance: one call per refresh token per storm, the result kept encrypted in the store for
 *   10 s, so with rotation every instance hands out the same new tokens. A store that fails
 *   falls back to this process's single-flight.
 * - A refresh token Cognito refused is remembered (by hash, bounded, 60 s): repeating it makes no
 *   call. Attempts that would call Cognito are limited to 10 a minute per user (`sub`); past it
 *   503 `auth_unavailable` with `Retry-After` until the minute ends.
 * - Every call, SDK retries included, ends within `cognitoTimeoutMs`.
 * - Failures are `RefreshFailedError` (401 `refresh_failed`: Cognito refused the token) or
 *   `AuthUnavailableError` (503 `auth_unavailable`: throttling, 5xx, timeouts, network); no SDK
 *   error escapes. Logs name the error only, never a token or Cognito's message.
 *
 * AWS credentials come from the SDK's default provider chain; the three operations used are
 * unsigned (`smithy.api#noAuth`), so none are needed.
 */
@Injectable()
export class TokenRefreshService implements OnModuleDestroy {
  private readonly logger = new Logger(TokenRefreshService.name);
  /** One SDK client per pool, by app client id. */
  private readonly clients: CognitoClients;
  private readonly revocation: CognitoRevocationService;
  /** The revocation service this one made for itself (none given), closed with it. */
  private readonly ownRevocation: CognitoRevocationService | undefined;
  /** In-flight refreshes by sha256(clientId, refresh token); an entry lives until its call settles. */
  private readonly inFlight = new Map<string, Promise<RefreshedTokens>>();
  /**
   * Successful refreshes of the last few seconds, by the same key: requests of a storm that
   * arrive just after the call settled get its result instead of a second Cognito call (and,
   * with rotation, the old refresh token no longer works at Cognito anyway). Dropped on revoke.
   */
  private readonly recent = new VerifiedTokenCache<RefreshedTokens>(RECENT_REFRESH_ENTRIES);
  /** Refresh tokens Cognito refused (or that were revoked here), by the same key. */
  private readonly refused = new VerifiedTokenCache<true>(REFUSED_ENTRIES);
  private readonly limiter = new RefreshRateLimiter();
  /** Single-flight and memo across instances; only with a shared (not per-process) store. */
  private readonly shared: SharedRefresh | undefined;

  /**
   * @param settings the module's settings
   * @param revocation records revoked sessions; the module's one, so the guard sees them. Without
   *   one (a service built by hand) a private one is made, which nothing else reads.
   * @param clock milliseconds since the epoch; default `Date.now`
   * @param store the state store; a shared one (not `perProcess`) makes refreshes single-flight across instances
   */
  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    @Optional() revocation?: CognitoRevocationService,
    @Optional() @Inject(COGNITO_CLOCK) private readonly clock: () => number = Date.now,
    @Optional() @Inject(COGNITO_STATE_STORE) store?: CognitoStateStore,
  ) {
    this.ownRevocation = revocation ? undefined : new CognitoRevocationService(settings, store, clock);
    this.revocation = revocation ?? this.ownRevocation!;
    const shared = store ?? settings.sharedState?.store;
    this.shared =
      shared && !shared.perProcess
        ? new SharedRefresh({
            store: shared,
            cipher: cipherFor(shared, settings.sharedState?.stateKey),
            cognitoTimeoutMs: settings.cognitoTimeoutMs,
            resultTtlMs: RECENT_REFRESH_TTL_MS,
            refusedTtlMs: REFUSED_TTL_MS,
            retryAfterSeconds: settings.retryAfterSeconds,
          })
        : undefined;
    this.clients = new CognitoClients(settings);
  }

  /**
   * New access and ID tokens for a refresh token. With rotation on, also a new refresh token.
   *
   * @throws RefreshFailedError Cognito refused the refresh token, now or in the last minute (or a
   *   secret client lacks a username)
   * @throws AuthUnavailableError Cognito could not be reached or did not answer in time, or the
   *   user made 10 attempts this minute already
   */
  refresh(input: RefreshInput): Promise<RefreshedTokens> {
    const { refreshToken, clientId, sub, username } = input;
    if (typeof refreshToken !== 'string' || refreshToken.trim() === '') {
      return Promise.reject(new RefreshFailedError('No refresh token'));
    }
    if (typeof clientId !== 'string' || !this.settings.clientIds.includes(clientId)) {
      return Promise.reject(new RefreshFailedError('The token was issued to an unknown app client'));
    }
    if (typeof sub !== 'string' || sub === '') {
      // A caller bug, not the client's fault: without a sub the attempt cannot be rate-limited.
      this.logger.error("Refresh refused: called without the expired token's sub");
      return Promise.reject(new AuthUnavailableError(undefined, this.settings.retryAfterSeconds));
    }
    const key = refreshKey(clientId, refreshToken);
    const running = this.inFlight.get(key);
    if (running) return running;
    const now = this.clock();
    const done = this.recent.get(key, now);
    if (done) return Promise.resolve(done);
    if (this.refused.get(key, now)) return Promise.reject(new RefreshFailedError());
    if (
      this.settings.clientSecrets.has(clientId) &&
      !this.settings.refreshTokenRotation &&
      (typeof username !== 'string' || username === '')
    ) {
      this.logger.warn('Refresh refused locally: the client has a secret but the token carries no username');
      return Promise.reject(new RefreshFailedError());
    }
    const call = (this.shared ? this.shared.run(clientId, refreshToken, () => this.limitedRefresh(input)) : this.limitedRefresh(input))
      .then((tokens) => {
        this.recent.set(key, tokens, this.clock() + RECENT_REFRESH_TTL_MS);
        return tokens;
      })
      .catch((err: unknown) => {
        if (err instanceof RefreshFailedError) this.refused.set(key, true, this.clock() + REFUSED_TTL_MS);
        throw err;
      })
      .finally(() => {
        if (this.inFlight.get(key) === call) this.inFlight.delete(key);
      });
    this.inFlight.set(key, call);
    return call;
  }

  /**
   * Logs a session out: records the session of `options.claims` as revoked (so those tokens stop
   * verifying here at once), then revokes the refresh token at Cognito (and, at AWS, the access
   * tokens issued with it) with the client that issued it: `options.clientId`, else the client of
   * the claims, else each configured client in turn until one accepts.
   *
   * @throws RefreshFailedError Cognito refused the request (with every client tried)
   * @throws AuthUnavailableError Cognito could not be reached or did not answer in time
   */
  async revoke(refreshToken: string, options: RevokeOptions = {}): Promise<void> {
    if (typeof refreshToken !== 'string' || refreshToken.trim() === '') throw new RefreshFailedError('No refresh token');
    const opts: RevokeOptions = typeof options === 'object' && options !== null ? options : {};
    const clients = this.revokingClients(opts);
    await this.recordRevoked(opts.claims);
    for (const clientId of this.settings.clientIds) {
      this.recent.delete(refreshKey(clientId, refreshToken));
      await this.shared?.forget(clientId, refreshToken);
    }
    let refusal: RefreshFailedError | undefined;
    for (const clientId of clients) {
      try {
        await this.revokeWith(refreshToken, clientId);
        this.refused.set(refreshKey(clientId, refreshToken), true, this.clock() + REFUSED_TTL_MS);
        await this.shared?.markRefused(clientId, refreshToken);
        return;
      } catch (err) {
        if (!(err instanceof RefreshFailedError)) throw err;
        refusal = err;
      }
    }
    throw refusal ?? new RefreshFailedError();
  }

  /** Refreshes in flight now (one per refresh token, however many requests wait on it). */
  get inFlightRefreshCount(): number {
    return this.inFlight.size;
  }

  /** Recent successful refreshes kept (bounded to 1000, 10 s each). */
  get recentRefreshCount(): number {
    return this.recent.size;
  }

  /** Closes the SDK client's sockets, the shared single-flight's subscription, and the revocation service it made for itself. */
  async onModuleDestroy(): Promise<void> {
    this.clients.destroy();
    await this.shared?.close();
    await this.ownRevocation?.onModuleDestroy();
  }

  /** The Cognito call, within the per-user attempt limit (10 a minute: 503 past it). */
  private limitedRefresh(input: RefreshInput): Promise<RefreshedTokens> {
    const waitMs = this.limiter.take(input.sub, this.clock());
    if (waitMs > 0) {
      this.logger.warn('Refresh refused: a user made too many refresh attempts this minute');
      return Promise.reject(new AuthUnavailableError('Too many refresh attempts; try again later', Math.ceil(waitMs / 1000)));
    }
    return this.doRefresh(input);
  }

  /** The clients to try `RevokeToken` with, in order. */
  private revokingClients({ clientId, claims }: RevokeOptions): readonly string[] {
    const known = clientId ?? claims?.access?.client_id ?? claims?.id?.aud;
    if (known === undefined) return this.settings.clientIds;
    if (typeof known !== 'string' || !this.settings.clientIds.includes(known)) {
      throw new RefreshFailedError('The token was issued to an unknown app client');
    }
    return [known];
  }

  /** Records the session of each token (once per session id). */
  private async recordRevoked(claims: VerifiedTokens | undefined): Promise<void> {
    const seen = new Set<string>();
    for (const token of [claims?.access, claims?.id]) {
      const id = token?.origin_jti ?? token?.jti;
      if (!token || (typeof id === 'string' && seen.has(id))) continue;
      if (typeof id === 'string') seen.add(id);
      await this.revocation.revokeSession(token);
    }
  }

  private async revokeWith(refreshToken: string, clientId: string): Promise<void> {
    const secret = this.settings.clientSecrets.get(clientId);
    await this.call('RevokeToken', (abortSignal) =>
      this.clients
        .for(clientId)
        .send(new RevokeTokenCommand({ Token: refreshToken, ClientId: clientId, ...(secret ? { ClientSecret: secret } : {}) }), {
          abortSignal,
        }),
    );
  }

  private async doRefresh({ refreshToken, clientId, username }: RefreshInput): Promise<RefreshedTokens> {
    const secret = this.settings.clientSecrets.get(clientId);
    const result = this.settings.refreshTokenRotation
      ? await this.call('GetTokensFromRefreshToken', (abortSignal) =>
          this.clients.for(clientId).send(
            new GetTokensFromRefreshTokenCommand({
              RefreshToken: refreshToken,
              ClientId: clientId,
              ...(secret ? { ClientSecret: secret } : {}),
            }),
            { abortSignal },
          ),
        )
      : await this.call('InitiateAuth', (abortSignal) =>
          this.clients.for(clientId).send(
            new InitiateAuthCommand({
              AuthFlow: 'REFRESH_TOKEN_AUTH',
              ClientId: clientId,
              AuthParameters: {
                REFRESH_TOKEN: refreshToken,
                ...(secret ? { SECRET_HASH: computeSecretHash(username ?? '', clientId, secret) } : {}),
              },
            }),
            { abortSignal },
          ),
        );
    return this.tokensOf(result.AuthenticationResult, refreshToken);
  }

  private tokensOf(result: AuthenticationResultType | undefined, oldRefreshToken: string): RefreshedTokens {
    const accessToken = result?.AccessToken;
    const idToken = result?.IdToken;
    if (typeof accessToken !== 'string' || accessToken === '' || typeof idToken !== 'string' || idToken === '') {
      this.logger.warn('Cognito refresh answered without an access token and an ID token');
      throw new RefreshFailedError();
    }
    const rotated = result?.RefreshToken;
    return typeof rotated === 'string' && rotated !== '' && rotated !== oldRefreshToken
      ? { accessToken, idToken, refreshToken: rotated }
      : { accessToken, idToken };
  }

  /** One SDK call under the overall deadline, every failure mapped to a `CognitoAuthError`. */
  private call<T>(operation: string, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const { cognitoTimeoutMs, retryAfterSeconds } = this.settings;
    return callCognito(operation, send, { timeoutMs: cognitoTimeoutMs, retryAfterSeconds, logger: this.logger });
  }
}
