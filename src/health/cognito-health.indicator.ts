import { Inject, Injectable, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { COGNITO_STATE_STORE, type CognitoStateStore } from '../shared-state/state-store.interface.js';
import { JwtValidationService } from '../tokens/jwt-validation.service.js';
import { typeorm } from '../users/typeorm-runtime.js';
import { UserSyncService } from '../users/user-sync.service.js';
import {
  type CognitoHealthStatus,
  databaseHealth,
  type DependencyHealth,
  jwksHealth,
  type JwksHealth,
  type StoreHealthProbe,
  storeHealth,
} from './health-checks.js';

/** What `isHealthy` reports under its key. */
export type CognitoHealthDetails = {
  /** `down` when no token can be verified (no signing key held), or the user database fails. */
  readonly status: CognitoHealthStatus;
  readonly jwks: JwksHealth;
  /** Present when user sync is on. */
  readonly database?: DependencyHealth;
  /** Present when a shared store is configured and can tell its health. */
  readonly store?: DependencyHealth;
};

/** The result of `isHealthy(key)`: `{ [key]: details }`, a `HealthIndicatorResult` of `@nestjs/terminus`. */
export type CognitoHealthIndicatorResult<Key extends string = 'cognito'> = Record<Key, CognitoHealthDetails>;

/**
 * A health indicator for `@nestjs/terminus` (11 and 12): the signing keys, the user database when
 * user sync is on, and the shared store when one is configured and can tell its health.
 *
 * ```ts
 * @Get('health') @HealthCheck() @Public()
 * check() { return this.health.check([() => this.cognito.isHealthy()]); }
 * ```
 *
 * It returns terminus's result object (`{ cognito: { status: 'up' | 'down', ... } }`) rather than
 * using terminus's classes, so the library does not load `@nestjs/terminus` (an optional peer).
 * A `down` result makes `HealthCheckService.check` answer 503.
 */
@Injectable()
export class CognitoHealthIndicator {
  /** Default upper bound of the database and store round trips, in ms. */
  static readonly DEFAULT_TIMEOUT_MS = 3000;

  /** Upper bound of the database and store round trips, in ms; one that overruns is `down`. */
  timeoutMs = CognitoHealthIndicator.DEFAULT_TIMEOUT_MS;

  constructor(
    private readonly jwt: JwtValidationService,
    private readonly users: UserSyncService,
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    @Optional() private readonly moduleRef?: ModuleRef,
    @Optional() @Inject(COGNITO_STATE_STORE) private readonly injectedStore?: CognitoStateStore,
  ) {}

  /**
   * Checks the signing keys (held keys, their age, the latest fetch error), the user database
   * (`SELECT 1`, when user sync is on) and the shared store. `down` when no signing key is held,
   * when the database fails, or when the store is down and revocation checks fail closed (a store
   * outage otherwise only narrows what instances share; requests still pass).
   *
   * @param key the key of the result in terminus's report; default `cognito`
   */
  async isHealthy<const Key extends string = 'cognito'>(key: Key = 'cognito' as Key): Promise<CognitoHealthIndicatorResult<Key>> {
    const jwks = jwksHealth(this.jwt.jwksStatus(), this.settings.jwksUri);
    const [database, store] = await Promise.all([this.checkDatabase(), this.checkStore()]);
    const storeFails = store?.status === 'down' && this.settings.sharedState.revocationFailClosed;
    const down = jwks.status === 'down' || database?.status === 'down' || storeFails;
    const details: CognitoHealthDetails = {
      status: down ? 'down' : 'up',
      jwks,
      ...(database ? { database } : {}),
      ...(store ? { store } : {}),
    };
    return { [key]: details } as CognitoHealthIndicatorResult<Key>;
  }

  private checkDatabase(): Promise<DependencyHealth | undefined> {
    if (!this.users.enabled) return Promise.resolve(undefined);
    const dataSource = this.userDataSource();
    if (!dataSource) return Promise.resolve({ status: 'down', message: 'not found' });
    return databaseHealth(dataSource, this.timeoutMs);
  }

  private checkStore(): Promise<DependencyHealth | undefined> {
    const store = (this.injectedStore ?? this.settings.sharedState.store) as (CognitoStateStore & StoreHealthProbe) | undefined;
    if (!store || store.perProcess === true) return Promise.resolve(undefined);
    return storeHealth(store, this.timeoutMs) ?? Promise.resolve(undefined);
  }

  /** The DataSource user sync works on: the one given in `users.dataSource`, else the one Nest holds under its name. */
  private userDataSource(): DataSource | undefined {
    const users = this.settings.users;
    if (users === false) return undefined;
    if (users.dataSource !== undefined && typeof users.dataSource !== 'string') return users.dataSource;
    if (!this.moduleRef || !typeorm) return undefined;
    const name = users.dataSource ?? 'default';
    // The tokens @nestjs/typeorm registers: the DataSource class for the default one.
    const token = name === 'default' ? typeorm.DataSource : `${name}DataSource`;
    try {
      return this.moduleRef.get<DataSource>(token as never, { strict: false });
    } catch {
      return undefined;
    }
  }
}
