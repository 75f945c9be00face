import { Inject, Injectable, Logger, type OnModuleDestroy, Optional } from '@nestjs/common';
import { GetUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from '../cognito-auth.constants.js';
import { ForbiddenScopeError, RefreshFailedError, TokenRevokedError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { CognitoClients } from '../tokens/cognito-client.js';
import { callCognito } from '../tokens/cognito-errors.js';
import type { CognitoAccessTokenClaims, VerifiedTokens } from '../tokens/token.types.js';
import { VerifiedTokenCache } from '../tokens/verified-token.cache.js';
import { CognitoRevocationService } from './cognito-revocation.service.js';
import { InMemoryStateStore } from './in-memory-state.store.js';
import { type SharedResult, SharedSingleFlight } from './shared-single-flight.js';
import { cipherFor, type StateCipher } from './state-cipher.js';
import { COGNITO_STATE_STORE, type CognitoStateStore } from './state-store.interface.js';

/** The scope Cognito's `GetUser` needs: user pool tokens of a signed-in user carry it, machine tokens never. */
export const ONLINE_CHECK_SCOPE = 'aws.cognito.signin.user.admin';
/** Tokens whose last check is remembered in this process. */
const LOCAL_ENTRIES = 10_000;

type Verdict = 'live' | 'revoked';

/**
 * The online check of `@RequireFreshSession()` routes: asks Cognito (`GetUser` with the access
 * token) whether the session is still live, so a revocation made outside the app (the console,
 * another service, an admin global sign-out) is seen within `onlineCheckSeconds`
 * (`COGNITO_ONLINE_CHECK_SECONDS`, default 60), although the token still verifies offline.
 *
 * - At most one `GetUser` per token per `onlineCheckSeconds`, across every instance sharing the
 *   store: the verdict is kept there (under a keyed hash of the token) and in this process.
 * - A token Cognito refuses is 401 `token_revoked`, and its session is recorded as revoked, so
 *   every route of every instance refuses it from then on.
 * - A token without the `aws.cognito.signin.user.admin` scope (machine tokens, or no access token
 *   at all) cannot be checked: 403 `forbidden_scope`.
 * - Cognito unreachable: 503 `auth_unavailable`.
 */
@Injectable()
export class OnlineSessionChecker implements OnModuleDestroy {
  private readonly logger = new Logger(OnlineSessionChecker.name);
  private readonly cipher: StateCipher;
  private readonly flight: SharedSingleFlight;
  private readonly checkMs: number;
  private readonly local = new VerifiedTokenCache<true>(LOCAL_ENTRIES);
  private readonly inFlight = new Map<string, Promise<Verdict>>();
  private clients: CognitoClients | undefined;

  /**
   * @param settings the module's settings (`sharedState.onlineCheckSeconds`)
   * @param revocation where a session Cognito refused is recorded
   * @param store where verdicts are shared; default this process's memory
   * @param clock milliseconds since the epoch; default `Date.now`
   */
  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    private readonly revocation: CognitoRevocationService,
    @Optional() @Inject(COGNITO_STATE_STORE) store?: CognitoStateStore,
    @Optional() @Inject(COGNITO_CLOCK) private readonly clock: () => number = Date.now,
  ) {
    const shared = store ?? settings.sharedState?.store ?? new InMemoryStateStore(clock);
    this.cipher = cipherFor(shared, settings.sharedState?.stateKey);
    this.checkMs = (settings.sharedState?.onlineCheckSeconds ?? 60) * 1000;
    this.flight = new SharedSingleFlight({
      namespace: 'online',
      store: shared,
      cipher: this.cipher,
      retryAfterSeconds: settings.retryAfterSeconds,
    });
  }

  /**
   * Passes when the session of the access token is live at Cognito (checked now, or within the
   * last `onlineCheckSeconds`).
   * @param accessToken the raw access token the caller presented (after a refresh, the new one)
   * @param tokens its verified claims
   * @throws ForbiddenScopeError (403) when the token cannot be checked online
   * @throws TokenRevokedError (401) when Cognito no longer accepts it
   * @throws AuthUnavailableError (503) when Cognito cannot be reached
   */
  async check(accessToken: string | undefined, tokens: VerifiedTokens): Promise<void> {
    const claims = tokens.access;
    if (!accessToken || !claims || !(claims.scope ?? '').split(' ').includes(ONLINE_CHECK_SCOPE)) {
      throw new ForbiddenScopeError(
        `This route checks the session with Cognito: it needs a user access token with the ${ONLINE_CHECK_SCOPE} scope`,
      );
    }
    const id = this.cipher.hash('online', accessToken);
    if (this.local.get(id, this.clock())) return;
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = this.decide(id, accessToken, claims).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    if ((await pending) === 'revoked') throw new TokenRevokedError();
  }

  /** Closes the SDK client and the shared single-flight's subscription. */
  async onModuleDestroy(): Promise<void> {
    this.clients?.destroy();
    await this.flight.close();
  }

  private async decide(id: string, accessToken: string, claims: CognitoAccessTokenClaims): Promise<Verdict> {
    const ttlMs = Math.max(1000, Math.min(this.checkMs, claims.exp * 1000 - this.clock()));
    const verdict = (await this.flight.run(
      id,
      () => this.askCognito(accessToken, claims.client_id, ttlMs),
      this.settings.cognitoTimeoutMs + 1000,
    )) as Verdict;
    if (verdict === 'live') {
      this.local.set(id, true, this.clock() + ttlMs);
      return 'live';
    }
    await this.revocation.revokeSession(claims);
    return 'revoked';
  }

  private async askCognito(accessToken: string, clientId: string, ttlMs: number): Promise<SharedResult> {
    this.clients ??= new CognitoClients(this.settings);
    const client = this.clients.for(clientId);
    try {
      await callCognito('GetUser', (abortSignal) => client.send(new GetUserCommand({ AccessToken: accessToken }), { abortSignal }), {
        timeoutMs: this.settings.cognitoTimeoutMs,
        retryAfterSeconds: this.settings.retryAfterSeconds,
        logger: this.logger,
        subject: 'access token',
      });
      return { value: 'live', ttlMs };
    } catch (err) {
      if (err instanceof RefreshFailedError) return { value: 'revoked', ttlMs };
      throw err;
    }
  }
}
