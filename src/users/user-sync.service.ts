import { Inject, Injectable, Logger, type OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { DataSource, ObjectLiteral, Repository } from 'typeorm';
import { COGNITO_AUTH_SETTINGS, COGNITO_CLOCK } from '../cognito-auth.constants.js';
import { AuthUnavailableError, CognitoConfigError, ForbiddenCallerError, UserNotRegisteredError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings, ResolvedUserSyncSettings } from '../options/cognito-auth.options.js';
import { COGNITO_STATE_STORE, type CognitoStateStore } from '../shared-state/state-store.interface.js';
import { UserCacheInvalidation } from '../shared-state/user-cache.invalidation.js';
import type { VerifiedTokens } from '../tokens/token.types.js';
import { VerifiedTokenCache } from '../tokens/verified-token.cache.js';
import type { ColumnPlan } from './column-plan.js';
import { fitValue } from './column-values.js';
import { boundedDatabaseCall, type DatabaseCall } from './database-call.js';
import { isMachineToken } from './machine-token.js';
import { SyncClaims, VERIFIED_BY } from './sync-claims.js';
import { typeorm } from './typeorm-runtime.js';
import { deepCopy } from './user-copy.js';
import { ownership, UserRows } from './user-rows.js';
import { buildSyncPlan, type SyncPlan } from './user-sync.plan.js';

/** Options of the standalone constructor. */
export interface UserSyncStandaloneOptions {
  /** Upper bound of each database call, in ms. Default {@link UserSyncService.DEFAULT_QUERY_TIMEOUT_MS}. */
  queryTimeoutMs?: number;
  /** The clock the user cache reads, in ms since the epoch. Default `Date.now`. */
  clock?: () => number;
}

const USER_CACHE_ENTRIES = 10_000;

/**
 * Syncs the caller to the application's TypeORM user table: finds the row whose `lookupField`
 * equals the token's `tokenField` claim, creates it on first sight (race-free: the lookup column
 * must be unique and a unique violation means another request or process created it first),
 * and writes changed mapped claims back on login. A row found by a claim other than `sub` must
 * belong to the caller's Cognito account; an email or phone number counts only once verified.
 *
 * With a shared state store (Redis) a row written here is dropped from every other instance's
 * user cache at once.
 *
 * In a Nest app the DataSource is found at module init (the default one, or the one named in
 * `users.dataSource`). Outside Nest: `await UserSyncService.forDataSource(settings, dataSource)`.
 */
@Injectable()
export class UserSyncService implements OnModuleInit, OnModuleDestroy {
  /** Default upper bound of each database call (find, insert, update), in ms. */
  static readonly DEFAULT_QUERY_TIMEOUT_MS = 10_000;

  /**
   * Upper bound of each database call, in ms. Driver timeouts (connect, pool acquire, statement)
   * belong to the app's DataSource options; this bound makes sure a request never waits longer
   * whatever they are. A call that overruns answers 503; its statement is a single row insert or
   * update, so nothing is left half-written whether or not it later completes.
   */
  queryTimeoutMs = UserSyncService.DEFAULT_QUERY_TIMEOUT_MS;

  private readonly logger = new Logger(UserSyncService.name);
  private readonly clock: () => number;
  private readonly db: DatabaseCall;
  private dataSource: DataSource | undefined;
  private plan: SyncPlan | undefined;
  private rows: UserRows | undefined;
  private repo: Repository<ObjectLiteral> | undefined;
  private readonly inFlight = new Map<string, Promise<ObjectLiteral>>();
  /** Recently resolved users by lookup value (`users.cacheTtlSeconds`, at most 10,000). */
  private readonly recentUsers = new VerifiedTokenCache<ObjectLiteral>(USER_CACHE_ENTRIES);
  /** Announces rows written here and drops rows other instances wrote (shared store only). */
  private readonly invalidation: UserCacheInvalidation;

  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    @Optional() private readonly moduleRef?: ModuleRef,
    @Optional() @Inject(COGNITO_CLOCK) clock?: () => number,
    @Optional() @Inject(COGNITO_STATE_STORE) store?: CognitoStateStore,
  ) {
    this.clock = clock ?? Date.now;
    this.invalidation = new UserCacheInvalidation(
      store ?? settings.sharedState?.store,
      settings.sharedState?.stateKey,
      (key) => this.recentUsers.delete(key),
      USER_CACHE_ENTRIES,
    );
    this.db = boundedDatabaseCall({
      timeoutMs: () => this.queryTimeoutMs,
      retryAfterSeconds: settings.retryAfterSeconds,
      logger: this.logger,
    });
  }

  /**
   * A service bound to a given DataSource, without Nest's container. The entity and mapping are
   * checked now when the DataSource is initialised, else on first use.
   */
  static async forDataSource(
    settings: CognitoAuthSettings,
    dataSource: DataSource,
    options: UserSyncStandaloneOptions = {},
  ): Promise<UserSyncService> {
    const service = new UserSyncService(settings, undefined, options.clock);
    if (options.queryTimeoutMs !== undefined) service.queryTimeoutMs = options.queryTimeoutMs;
    if (settings.users !== false) service.attach(settings.users, dataSource);
    return service;
  }

  /** True when user sync is configured and has a DataSource. */
  get enabled(): boolean {
    return this.dataSource !== undefined;
  }

  /** Users kept in the per-process cache now (bounded). */
  get cachedUserCount(): number {
    return this.recentUsers.size;
  }

  /**
   * Runs after every provider, TypeOrmModule's DataSources included, has been created and
   * initialised, so the DataSource can be found and its metadata checked here.
   */
  onModuleInit(): void {
    const users = this.settings.users;
    if (users === false || this.dataSource) return; // off, or bound already (forDataSource)
    if (!typeorm) {
      if (users.explicit) {
        throw new CognitoConfigError('users', 'user sync needs the optional peer dependency "typeorm", which is not installed');
      }
      this.logger.log('typeorm is not installed: user sync is off');
      return;
    }
    const dataSource = this.findDataSource(users);
    if (!dataSource) {
      if (users.explicit) {
        const which =
          typeof users.dataSource === 'string' ? `the DataSource named "${users.dataSource}"` : 'the default TypeORM DataSource';
        throw new CognitoConfigError(
          'users.dataSource',
          `user sync is on but ${which} was not found; import TypeOrmModule.forRoot(...) or pass a DataSource instance`,
        );
      }
      this.logger.log('No TypeORM DataSource found: user sync is off');
      return;
    }
    this.attach(users, dataSource);
  }

  /**
   * The local user of the verified tokens, a copy of its own for each call: found by
   * `lookupField`, created on first sight when `autoCreate` is on, updated when `updateOnLogin`
   * is on. Answers 403 `user_not_registered` when there is no local user of this account and
   * none can be created, 403 `forbidden_caller` for a machine (client credentials) token, which
   * has no user, and 503 `auth_unavailable` when the database cannot be used.
   */
  async resolveUser(tokens: VerifiedTokens): Promise<ObjectLiteral> {
    if (isMachineToken(tokens)) throw new ForbiddenCallerError('A machine client has no local user');
    const { plan, rows } = this.ensurePlan();
    const claims = SyncClaims.of(tokens);
    if (!claims) throw new UserNotRegisteredError('No verified token identifies the user');
    const lookupValue = this.lookupValue(plan, claims);
    const sub = plan.owner ? this.fitted(plan, plan.owner, 'sub', claims.sub) : undefined;

    // A caller seen in the last few seconds: no query, unless a mapped claim changed.
    const key = `${typeof lookupValue}:${String(lookupValue)}`;
    const ttlMs = this.userCacheTtlMs();
    if (ttlMs > 0) {
      const known = this.recentUsers.get(key, this.clock());
      if (known && ownership(plan, known, sub) === 'owner' && !(plan.updateOnLogin && rows.claimsChanged(known, claims))) {
        return deepCopy(known);
      }
    }

    // One database round per user at a time in this process: concurrent first requests share
    // it. The row found for another request must still belong to this caller's account.
    const pending = this.inFlight.get(key);
    if (pending) return pending.then((user) => this.handOut(plan, user, sub));
    const promise = this.syncRow(rows, key, lookupValue, sub, claims)
      .then((user) => {
        if (ttlMs > 0) {
          this.recentUsers.set(key, user, this.clock() + ttlMs);
          this.invalidation.remember(key, this.clock() + ttlMs);
        }
        return user;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise.then((user) => deepCopy(user));
  }

  /** Stops listening for rows other instances wrote. */
  async onModuleDestroy(): Promise<void> {
    await this.invalidation.close();
  }

  /** One database round for a user; with a shared store, a row it wrote is announced to the other instances. */
  private async syncRow(rows: UserRows, key: string, lookupValue: unknown, sub: unknown, claims: SyncClaims): Promise<ObjectLiteral> {
    if (!this.invalidation.active || !this.plan || !this.repo) return rows.sync(lookupValue, sub, claims);
    let wrote = false;
    const db: DatabaseCall = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
      const result = await this.db(what, call);
      if (what !== 'find') wrote = true;
      return result;
    };
    const find = (repo: Repository<ObjectLiteral>, where: ObjectLiteral) => this.findByLookup(repo, where);
    const user = await new UserRows(this.plan, this.repo, db, find, this.logger).sync(lookupValue, sub, claims);
    if (wrote) await this.invalidation.announce(key);
    return user;
  }

  /** The row whose lookup column equals the value. Protected so tests can simulate a stale read. */
  protected findByLookup(repo: Repository<ObjectLiteral>, where: ObjectLiteral): Promise<ObjectLiteral | null> {
    return this.db('find', () => repo.findOneBy(where));
  }

  /** The claim that identifies the user, fitted to the lookup column; 403 when there is none usable. */
  private lookupValue(plan: SyncPlan, claims: SyncClaims): unknown {
    const claim = plan.tokenField;
    const read = claims.read(claim);
    if (read.status === 'unverified') {
      this.logger.warn(`Refused a user lookup by the "${claim}" claim: ${VERIFIED_BY[claim]} is not true`);
      throw new UserNotRegisteredError(`The "${claim}" claim is not verified`);
    }
    const raw = read.status === 'present' ? read.value : undefined;
    if (!((typeof raw === 'string' && raw !== '') || (typeof raw === 'number' && Number.isFinite(raw)))) {
      throw new UserNotRegisteredError(`The token has no usable "${claim}" claim to identify the user`);
    }
    return this.fitted(plan, plan.lookup, claim, raw);
  }

  private fitted(plan: SyncPlan, column: ColumnPlan, claim: string, raw: unknown): unknown {
    const fitted = fitValue(column, raw);
    if (fitted.ok) return fitted.value;
    this.logger.warn(`Claim "${claim}" cannot be looked up in ${plan.entityName}.${column.property}: ${fitted.reason}`);
    throw new UserNotRegisteredError(`The "${claim}" claim does not fit the user table`);
  }

  /** A copy of a row another request of the same lookup value resolved, if it is this caller's. */
  private handOut(plan: SyncPlan, user: ObjectLiteral, sub: unknown): ObjectLiteral {
    if (ownership(plan, user, sub) === 'owner') return deepCopy(user);
    this.logger.warn(`A ${plan.entityName} found by the "${plan.tokenField}" claim belongs to another Cognito account: refused`);
    throw new UserNotRegisteredError('The local user belongs to another account');
  }

  private userCacheTtlMs(): number {
    return this.settings.users === false ? 0 : this.settings.users.cacheTtlSeconds * 1000;
  }

  private findDataSource(users: ResolvedUserSyncSettings): DataSource | undefined {
    const given = users.dataSource;
    if (given !== undefined && typeof given !== 'string') return given;
    if (!this.moduleRef || !typeorm) return undefined;
    const name = given ?? 'default';
    // The tokens @nestjs/typeorm registers: the DataSource class for the default one.
    const token = name === 'default' ? typeorm.DataSource : `${name}DataSource`;
    try {
      return this.moduleRef.get<DataSource>(token as never, { strict: false });
    } catch {
      return undefined;
    }
  }

  private attach(users: ResolvedUserSyncSettings, dataSource: DataSource): void {
    if (!dataSource.isInitialized) {
      this.dataSource = dataSource;
      this.logger.log('The user DataSource is not initialised yet: the user entity is checked on first use');
      return;
    }
    try {
      this.usePlan(buildSyncPlan(users, dataSource, this.logger), dataSource);
    } catch (error) {
      // Sync that was not asked for (on only because a DataSource exists) and whose entity the
      // DataSource does not know: the app does not use user sync, so it is off rather than fatal.
      if (!users.explicit && error instanceof CognitoConfigError && error.setting === 'users.entity') {
        this.logger.warn(`${error.message}; user sync is off (set users.entity, or turn sync off to silence this)`);
        return;
      }
      throw error;
    }
    this.dataSource = dataSource;
  }

  private usePlan(plan: SyncPlan, dataSource: DataSource): void {
    const find = (repo: Repository<ObjectLiteral>, where: ObjectLiteral) => this.findByLookup(repo, where);
    this.repo = dataSource.getRepository(plan.target);
    this.rows = new UserRows(plan, this.repo, this.db, find, this.logger);
    this.plan = plan;
  }

  private ensurePlan(): { plan: SyncPlan; rows: UserRows } {
    if (this.settings.users === false || !this.dataSource) {
      throw new Error('nest-cognito-auth: UserSyncService.resolveUser called while user sync is off (check .enabled first)');
    }
    if (!this.dataSource.isInitialized) {
      this.logger.error('The user DataSource is not initialised (or was destroyed): answering 503');
      throw new AuthUnavailableError('The user database is unavailable', this.settings.retryAfterSeconds);
    }
    if (!this.plan || !this.rows) {
      try {
        this.usePlan(buildSyncPlan(this.settings.users, this.dataSource, this.logger), this.dataSource);
      } catch (error) {
        // Only reachable when the DataSource was not initialised at start-up: a request must
        // still not be answered with a 500.
        this.logger.error(error instanceof Error ? error.message : String(error));
        throw new AuthUnavailableError('User sync is misconfigured', this.settings.retryAfterSeconds);
      }
    }
    return { plan: this.plan as SyncPlan, rows: this.rows as UserRows };
  }
}
