import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral, Repository } from 'typeorm';
import { COGNITO_AUTH_SETTINGS } from '../cognito-auth.constants.js';
import { AuthUnavailableError, CognitoConfigError, UserNotRegisteredError } from '../errors/cognito-auth.errors.js';
import type { CognitoAuthSettings, ResolvedUserSyncSettings } from '../options/cognito-auth.options.js';
import type { VerifiedTokens } from '../tokens/token.types.js';
import { VerifiedTokenCache } from '../tokens/verified-token.cache.js';
import { CognitoUser } from './cognito-user.entity.js';
import { type ColumnMetadata, type ColumnPlan, fitValue, planColumn, sameValue } from './column-values.js';
import { typeorm } from './typeorm-runtime.js';
import { databaseErrorCode, isUniqueViolation } from './unique-violation.js';

/** Everything resolved at start-up about the entity and the mapping. */
interface SyncPlan {
  readonly target: EntityTarget<ObjectLiteral>;
  readonly entityName: string;
  readonly metadata: EntityMetadata;
  readonly lookup: ColumnPlan;
  readonly tokenField: string;
  /** Mapped columns with their claim names; the lookup column is never among them. */
  readonly mapped: readonly { readonly plan: ColumnPlan; readonly claim: string }[];
  readonly autoCreate: boolean;
  readonly updateOnLogin: boolean;
}

/** Options of the standalone constructor. */
export interface UserSyncStandaloneOptions {
  /** Upper bound of each database call, in ms. Default {@link UserSyncService.DEFAULT_QUERY_TIMEOUT_MS}. */
  queryTimeoutMs?: number;
}

class DatabaseTimeoutError extends Error {
  readonly code = 'TIMEOUT';
  constructor(ms: number) {
    super(`database call did not finish within ${ms} ms`);
    this.name = 'DatabaseTimeoutError';
  }
}

/**
 * Syncs the caller to the application's TypeORM user table (DESIGN.md section 8): finds the row
 * whose `lookupField` equals the token's `tokenField` claim, creates it on first sight
 * (race-free: the lookup column must be unique and a unique violation means another request or
 * process created it first), and writes changed mapped claims back on login.
 *
 * In a Nest app the DataSource is found at module init (the default one, or the one named in
 * `users.dataSource`). Outside Nest: `await UserSyncService.forDataSource(settings, dataSource)`.
 */
@Injectable()
export class UserSyncService implements OnModuleInit {
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
  private dataSource: DataSource | undefined;
  private plan: SyncPlan | undefined;
  private readonly inFlight = new Map<string, Promise<ObjectLiteral>>();
  /** Recently resolved users by lookup value (`users.cacheTtlSeconds`, at most 10,000). */
  private readonly recentUsers = new VerifiedTokenCache<ObjectLiteral>(USER_CACHE_ENTRIES);

  constructor(
    @Inject(COGNITO_AUTH_SETTINGS) private readonly settings: CognitoAuthSettings,
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {}

  /**
   * A service bound to a given DataSource, without Nest's container. The entity and mapping are
   * checked now when the DataSource is initialised, else on first use.
   */
  static async forDataSource(
    settings: CognitoAuthSettings,
    dataSource: DataSource,
    options: UserSyncStandaloneOptions = {},
  ): Promise<UserSyncService> {
    const service = new UserSyncService(settings);
    if (options.queryTimeoutMs !== undefined) service.queryTimeoutMs = options.queryTimeoutMs;
    if (settings.users !== false) service.attach(settings.users, dataSource);
    return service;
  }

  /** True when user sync is configured and has a DataSource. */
  get enabled(): boolean {
    return this.dataSource !== undefined;
  }

  /**
   * Runs after every provider, TypeOrmModule's DataSources included, has been created and
   * initialised, so the DataSource can be found and its metadata checked here.
   */
  onModuleInit(): void {
    const users = this.settings.users;
    if (users === false) return;
    if (this.dataSource) return; // bound already (forDataSource)
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
        const which = typeof users.dataSource === 'string' ? `the DataSource named "${users.dataSource}"` : 'the default TypeORM DataSource';
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
   * The local user of the verified tokens: found by `lookupField`, created on first sight when
   * `autoCreate` is on, updated when `updateOnLogin` is on. Answers 403 `user_not_registered`
   * when there is no local user and none can be created, 503 `auth_unavailable` when the
   * database cannot be used.
   */
  async resolveUser(tokens: VerifiedTokens): Promise<ObjectLiteral> {
    const plan = this.ensurePlan();
    const claims: Readonly<Record<string, unknown>> | undefined = tokens.id ?? tokens.access;
    if (!claims) throw new UserNotRegisteredError('No verified token identifies the user');

    const raw = claims[plan.tokenField];
    if (!((typeof raw === 'string' && raw !== '') || (typeof raw === 'number' && Number.isFinite(raw)))) {
      throw new UserNotRegisteredError(`The token has no usable "${plan.tokenField}" claim to identify the user`);
    }
    const fitted = fitValue(plan.lookup, raw);
    if (!fitted.ok) {
      this.logger.warn(
        `Claim "${plan.tokenField}" cannot be looked up in ${plan.entityName}.${plan.lookup.property}: ${fitted.reason}`,
      );
      throw new UserNotRegisteredError(`The "${plan.tokenField}" claim does not fit the user table's lookup column`);
    }
    const lookupValue = fitted.value;

    // A caller seen in the last few seconds: no query, unless a mapped claim changed.
    const key = `${typeof lookupValue}:${String(lookupValue)}`;
    const ttlMs = this.userCacheTtlMs();
    if (ttlMs > 0) {
      const known = this.recentUsers.get(key, Date.now());
      if (known && !(plan.updateOnLogin && this.claimsChanged(plan, known, claims))) return copyOf(known);
    }

    // One database round per user at a time in this process: concurrent first requests share it.
    const pending = this.inFlight.get(key);
    if (pending) return pending.then(copyOf);
    const promise = this.sync(plan, lookupValue, claims)
      .then((user) => {
        if (ttlMs > 0) this.recentUsers.set(key, user, Date.now() + ttlMs);
        return user;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise.then(copyOf);
  }

  /** Users kept in the per-process cache now (bounded). */
  get cachedUserCount(): number {
    return this.recentUsers.size;
  }

  private userCacheTtlMs(): number {
    return this.settings.users === false ? 0 : this.settings.users.cacheTtlSeconds * 1000;
  }

  /** True when a mapped claim present in the token differs from the user's field. */
  private claimsChanged(plan: SyncPlan, user: ObjectLiteral, claims: Readonly<Record<string, unknown>>): boolean {
    for (const { plan: column, claim } of plan.mapped) {
      if (!Object.prototype.hasOwnProperty.call(claims, claim)) continue;
      const raw = claims[claim];
      if (raw === null || raw === undefined) continue;
      const fitted = fitValue(column, raw);
      if (fitted.ok && !sameValue(column, user[column.property], fitted.value)) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------

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
      this.plan = this.buildPlan(users, dataSource);
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

  private ensurePlan(): SyncPlan {
    if (this.settings.users === false || !this.dataSource) {
      throw new Error('nest-cognito-auth: UserSyncService.resolveUser called while user sync is off (check .enabled first)');
    }
    if (!this.dataSource.isInitialized) {
      this.logger.error('The user DataSource is not initialised (or was destroyed): answering 503');
      throw new AuthUnavailableError('The user database is unavailable', this.settings.retryAfterSeconds);
    }
    if (!this.plan) {
      try {
        this.plan = this.buildPlan(this.settings.users, this.dataSource);
      } catch (error) {
        // Only reachable when the DataSource was not initialised at start-up: a request must
        // still not be answered with a 500.
        this.logger.error(error instanceof Error ? error.message : String(error));
        throw new AuthUnavailableError('User sync is misconfigured', this.settings.retryAfterSeconds);
      }
    }
    return this.plan;
  }

  private buildPlan(users: ResolvedUserSyncSettings, dataSource: DataSource): SyncPlan {
    const target = users.entity ?? (CognitoUser as EntityTarget<ObjectLiteral>);
    let metadata: EntityMetadata;
    try {
      metadata = dataSource.getMetadata(target);
    } catch {
      throw new CognitoConfigError(
        'users.entity',
        `${targetName(target)} is not an entity of the user DataSource; add it to the DataSource's entities`,
      );
    }
    const entityName = metadata.name;

    const lookupColumn = writableColumn(metadata, users.lookupField);
    if (typeof lookupColumn === 'string') {
      throw new CognitoConfigError(users.sources.lookupField, `"${users.lookupField}" ${lookupColumn} of entity ${entityName}`);
    }
    if (!isUniqueColumn(metadata, lookupColumn)) {
      throw new CognitoConfigError(
        users.sources.lookupField,
        `column "${users.lookupField}" of entity ${entityName} must be unique (unique: true, a primary key, or a ` +
          'single-column unique index or constraint): a unique constraint is required for race-free user creation',
      );
    }
    const lookup = planColumn(dataSource, lookupColumn);
    if (typeof lookup === 'string') {
      throw new CognitoConfigError(users.sources.lookupField, `column "${users.lookupField}" of entity ${entityName}: ${lookup}`);
    }

    const mapped: { plan: ColumnPlan; claim: string }[] = [];
    for (const [field, claim] of Object.entries(users.fieldMapping)) {
      const column = writableColumn(metadata, field);
      if (typeof column === 'string') {
        throw new CognitoConfigError(users.sources.fieldMapping, `"${field}" ${column} of entity ${entityName}`);
      }
      const plan = planColumn(dataSource, column);
      if (typeof plan === 'string') {
        throw new CognitoConfigError(users.sources.fieldMapping, `column "${field}" of entity ${entityName}: ${plan}`);
      }
      if (column !== lookupColumn) mapped.push({ plan, claim });
    }

    if (users.autoCreate) {
      const filled = new Set<ColumnMetadata>([lookupColumn, ...mapped.map((m) => m.plan.column)]);
      const unfilled = metadata.columns
        .filter((c) => !filled.has(c) && isRequiredOnInsert(c))
        .map((c) => c.propertyName);
      if (unfilled.length > 0) {
        this.logger.warn(
          `Entity ${entityName}: column(s) ${unfilled.join(', ')} are NOT NULL without a default and not in ` +
            'users.fieldMapping; automatic user creation will fail unless something else fills them',
        );
      }
    }

    return {
      target,
      entityName,
      metadata,
      lookup,
      tokenField: users.tokenField,
      mapped,
      autoCreate: users.autoCreate,
      updateOnLogin: users.updateOnLogin,
    };
  }

  private async sync(plan: SyncPlan, lookupValue: unknown, claims: Readonly<Record<string, unknown>>): Promise<ObjectLiteral> {
    const repo = this.repository(plan);
    const where = { [plan.lookup.property]: lookupValue };

    const existing = await this.findByLookup(repo, where);
    if (existing) return plan.updateOnLogin ? this.update(plan, repo, existing, claims) : existing;
    if (!plan.autoCreate) throw new UserNotRegisteredError();

    const values: ObjectLiteral = {};
    for (const { plan: column, value } of this.fittedClaims(plan, claims)) values[column.property] = value;
    values[plan.lookup.property] = lookupValue;

    try {
      await this.db('insert', () => repo.insert(values));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Another request or process created the row first: it is re-read below.
      this.logger.debug(`Concurrent creation of a ${plan.entityName} detected; using the row that won`);
    }

    const created = await this.findByLookup(repo, where);
    if (created) return created;
    // A unique violation on some other column (say an email another user already has).
    this.logger.warn(`Could not create a ${plan.entityName}: a unique column other than the lookup column conflicts`);
    throw new UserNotRegisteredError('The local user could not be created: it conflicts with an existing user');
  }

  /** The row whose lookup column equals the value. Protected so tests can simulate a stale read. */
  protected findByLookup(repo: Repository<ObjectLiteral>, where: ObjectLiteral): Promise<ObjectLiteral | null> {
    return this.db('find', () => repo.findOneBy(where));
  }

  private async update(
    plan: SyncPlan,
    repo: Repository<ObjectLiteral>,
    user: ObjectLiteral,
    claims: Readonly<Record<string, unknown>>,
  ): Promise<ObjectLiteral> {
    const changes: ObjectLiteral = {};
    for (const { plan: column, value } of this.fittedClaims(plan, claims)) {
      if (!sameValue(column, user[column.property], value)) changes[column.property] = value;
    }
    if (Object.keys(changes).length === 0) return user;

    const id = plan.metadata.getEntityIdMap(user);
    if (!id) return user;
    try {
      await this.db('update', () => repo.update(id, changes));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      this.logger.warn(`Could not update a ${plan.entityName}: a unique column conflicts with another user; kept as it was`);
      return user;
    }
    const fresh = await this.db('find', () => repo.findOneBy(id));
    return fresh ?? Object.assign(user, changes);
  }

  /** The mapped claims present in the token, fitted to their columns; misfits are logged and left out. */
  private *fittedClaims(
    plan: SyncPlan,
    claims: Readonly<Record<string, unknown>>,
  ): Generator<{ plan: ColumnPlan; value: unknown }> {
    for (const { plan: column, claim } of plan.mapped) {
      if (!Object.prototype.hasOwnProperty.call(claims, claim)) continue;
      const raw = claims[claim];
      if (raw === null || raw === undefined) continue;
      const fitted = fitValue(column, raw);
      if (!fitted.ok) {
        this.logger.warn(
          `Skipped field ${plan.entityName}.${column.property} (claim "${claim}"): ${fitted.reason}`,
        );
        continue;
      }
      yield { plan: column, value: fitted.value };
    }
  }

  private repository(plan: SyncPlan): Repository<ObjectLiteral> {
    return (this.dataSource as DataSource).getRepository(plan.target);
  }

  /**
   * Runs one database call with an upper time bound. Unique violations are passed on for the
   * caller to handle; every other failure is logged (its driver code, never a message, which may
   * quote values) and answered as 503.
   */
  private async db<T>(what: string, call: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DatabaseTimeoutError(this.queryTimeoutMs)), this.queryTimeoutMs);
        timer.unref?.();
      });
      return await Promise.race([call(), timeout]);
    } catch (error) {
      if (isUniqueViolation(error)) throw error;
      const name = error instanceof Error ? error.constructor.name : typeof error;
      const code = databaseErrorCode(error);
      this.logger.error(`User database ${what} failed (${name}${code ? ` ${code}` : ''}): answering 503`);
      throw new AuthUnavailableError('The user database is unavailable', this.settings.retryAfterSeconds);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

const USER_CACHE_ENTRIES = 10_000;

/** A shallow copy with the entity's prototype, so one request cannot change another's user. */
function copyOf(user: ObjectLiteral): ObjectLiteral {
  return Object.assign(Object.create(Object.getPrototypeOf(user) as object | null) as ObjectLiteral, user);
}

function targetName(target: EntityTarget<ObjectLiteral>): string {
  if (typeof target === 'function') return target.name || 'the entity';
  if (typeof target === 'string') return target;
  const named = target as { name?: unknown; options?: { name?: unknown } };
  return String(named.options?.name ?? named.name ?? 'the entity');
}

/** The plain, writable column of that property, or why it is not one. */
function writableColumn(metadata: EntityMetadata, property: string): ColumnMetadata | string {
  const column = metadata.columns.find((c) => c.propertyName === property && !c.embeddedMetadata);
  if (!column) return 'is not a column';
  if (column.relationMetadata) return 'is a relation column, which claim mapping cannot fill';
  if (column.isGenerated || column.asExpression) return 'is a generated column';
  if (column.isCreateDate || column.isUpdateDate || column.isDeleteDate || column.isVersion) {
    return 'is maintained by TypeORM (create/update/delete date or version)';
  }
  if (column.isVirtual || column.isVirtualProperty || column.isDiscriminator || column.isTreeLevel) {
    return 'is not a writable column';
  }
  if (!column.isInsert || !column.isUpdate) return 'is not insertable and updatable';
  return column;
}

/** Unique on its own: a sole primary key, a unique column, or a single-column unique index or constraint. */
function isUniqueColumn(metadata: EntityMetadata, column: ColumnMetadata): boolean {
  if (column.isPrimary && metadata.primaryColumns.length === 1) return true;
  if (metadata.uniques.some((u) => u.columns.length === 1 && u.columns[0] === column)) return true;
  return metadata.indices.some((i) => i.isUnique && !i.where && i.columns.length === 1 && i.columns[0] === column);
}

function isRequiredOnInsert(c: ColumnMetadata): boolean {
  return (
    !c.isNullable &&
    c.default === undefined &&
    !c.isGenerated &&
    !c.asExpression &&
    !c.isCreateDate &&
    !c.isUpdateDate &&
    !c.isDeleteDate &&
    !c.isVersion &&
    !c.isVirtual &&
    !c.isVirtualProperty &&
    !c.isDiscriminator &&
    !c.isTreeLevel &&
    c.isInsert
  );
}
