/**
 * The database side of user sync for one entity: find the caller's row, create it on first
 * sight (race-free), tie a row found by email or username to the caller's `sub`, and write
 * changed claims back.
 */
import type { LoggerService } from '@nestjs/common';
import type { ObjectLiteral, Repository } from 'typeorm';
import { UserNotRegisteredError } from '../errors/cognito-auth.errors.js';
import type { ColumnPlan } from './column-plan.js';
import { fitValue, sameValue } from './column-values.js';
import type { DatabaseCall } from './database-call.js';
import { VERIFIED_BY, type SyncClaims } from './sync-claims.js';
import { typeorm } from './typeorm-runtime.js';
import { isUniqueViolation } from './unique-violation.js';
import type { SyncPlan } from './user-sync.plan.js';

/** Whom a row belongs to, as far as the `sub` column tells: the caller, nobody yet, or another account. */
export type Ownership = 'owner' | 'unbound' | 'other';

/**
 * Whether the row belongs to the account with that `sub` (already fitted to the sub column).
 * Rows of a plan without a sub column to check belong to whoever finds them.
 */
export function ownership(plan: SyncPlan, user: ObjectLiteral, sub: unknown): Ownership {
  if (!plan.owner) return 'owner';
  const held: unknown = user[plan.owner.property];
  if (held === null || held === undefined || held === '') return 'unbound';
  return sameValue(plan.owner, held, sub) ? 'owner' : 'other';
}

/** Finds a row by its lookup column; a seam of UserSyncService. */
export type FindUser = (repo: Repository<ObjectLiteral>, where: ObjectLiteral) => Promise<ObjectLiteral | null>;

/** Reads and writes the user rows of one entity. */
export class UserRows {
  constructor(
    private readonly plan: SyncPlan,
    private readonly repo: Repository<ObjectLiteral>,
    private readonly db: DatabaseCall,
    private readonly find: FindUser,
    private readonly logger: LoggerService,
  ) {}

  /**
   * The caller's row: found by the lookup value and checked to belong to `sub` (when the plan
   * has a sub column), or created. Answers 403 `user_not_registered` for a row of another
   * account, or when there is none and it may not or cannot be created.
   */
  async sync(lookupValue: unknown, sub: unknown, claims: SyncClaims): Promise<ObjectLiteral> {
    const where = { [this.plan.lookup.property]: lookupValue };
    const existing = await this.find(this.repo, where);
    if (existing) return this.found(existing, sub, claims);
    if (!this.plan.autoCreate) throw new UserNotRegisteredError();

    const values: ObjectLiteral = {};
    for (const { column, value } of this.fittedClaims(claims)) values[column.property] = value;
    values[this.plan.lookup.property] = lookupValue;
    try {
      await this.db('insert', () => this.repo.insert(values));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Another request or process created the row first: it is re-read below.
      this.logger.debug?.(`Concurrent creation of a ${this.plan.entityName} detected; using the row that won`);
    }

    // The row just written, or the one that won the race; it is not updated again either way.
    const created = await this.find(this.repo, where);
    if (created) return this.found(created, sub, claims, false);
    // A unique violation on some other column (say an email another user already has).
    this.logger.warn(`Could not create a ${this.plan.entityName}: a unique column other than the lookup column conflicts`);
    throw new UserNotRegisteredError('The local user could not be created: it conflicts with an existing user');
  }

  /** True when a mapped claim the caller's token carries differs from the user's field. */
  claimsChanged(user: ObjectLiteral, claims: SyncClaims): boolean {
    for (const { plan: column, claim } of this.plan.mapped) {
      const read = claims.read(claim);
      if (read.status !== 'present') continue;
      const fitted = fitValue(column, read.value);
      if (fitted.ok && !sameValue(column, user[column.property], fitted.value)) return true;
    }
    return false;
  }

  /** A row found by the lookup value: refused when it is another account's, else bound and updated. */
  private async found(user: ObjectLiteral, sub: unknown, claims: SyncClaims, update = this.plan.updateOnLogin): Promise<ObjectLiteral> {
    const owned = ownership(this.plan, user, sub);
    if (owned === 'other') throw this.refuseOther();
    const row = owned === 'unbound' ? await this.bind(user, sub) : user;
    return update ? this.update(row, claims) : row;
  }

  /**
   * Ties a row that holds no `sub` yet to the caller's. The update only applies while the column
   * is still empty, so of two accounts racing for one row exactly one gets it.
   */
  private async bind(user: ObjectLiteral, sub: unknown): Promise<ObjectLiteral> {
    const owner = this.plan.owner as ColumnPlan;
    const id = this.plan.metadata.getEntityIdMap(user);
    if (!id || !typeorm) throw this.refuseOther();
    const { Equal, IsNull, Or } = typeorm;
    // '' is only compared in text columns: PostgreSQL refuses it as a UUID.
    const empty = owner.kind === 'string' ? Or(IsNull(), Equal('')) : IsNull();
    try {
      await this.db('update', () => this.repo.update({ ...id, [owner.property]: empty }, { [owner.property]: sub }));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      this.logger.warn(`Could not tie a ${this.plan.entityName} to the caller: another row already holds the caller's sub`);
      throw new UserNotRegisteredError('The local user belongs to another account');
    }
    const fresh = await this.db('find', () => this.repo.findOneBy(id));
    if (!fresh || ownership(this.plan, fresh, sub) !== 'owner') throw this.refuseOther();
    this.logger.log(`A ${this.plan.entityName} found by the "${this.plan.tokenField}" claim had no sub: tied to the caller's account`);
    return fresh;
  }

  private refuseOther(): UserNotRegisteredError {
    this.logger.warn(
      `A ${this.plan.entityName} found by the "${this.plan.tokenField}" claim belongs to another Cognito account ` +
        `(its ${this.plan.owner?.property ?? 'sub'} column holds another sub): refused, the row is left as it is`,
    );
    return new UserNotRegisteredError('The local user belongs to another account');
  }

  private async update(user: ObjectLiteral, claims: SyncClaims): Promise<ObjectLiteral> {
    const changes: ObjectLiteral = {};
    for (const { column, value } of this.fittedClaims(claims)) {
      if (!sameValue(column, user[column.property], value)) changes[column.property] = value;
    }
    if (Object.keys(changes).length === 0) return user;

    const id = this.plan.metadata.getEntityIdMap(user);
    if (!id) return user;
    try {
      await this.db('update', () => this.repo.update(id, changes));
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      this.logger.warn(`Could not update a ${this.plan.entityName}: a unique column conflicts with another user; kept as it was`);
      return user;
    }
    const fresh = await this.db('find', () => this.repo.findOneBy(id));
    return fresh ?? Object.assign(user, changes);
  }

  /**
   * The mapped claims the token carries, fitted to their columns. Misfits are logged and left
   * out; so are an unverified email or phone number, which must not reach the row.
   */
  private *fittedClaims(claims: SyncClaims): Generator<{ column: ColumnPlan; value: unknown }> {
    for (const { plan: column, claim } of this.plan.mapped) {
      const read = claims.read(claim);
      if (read.status === 'unverified') {
        this.logger.debug?.(
          `Skipped field ${this.plan.entityName}.${column.property} (claim "${claim}"): ${VERIFIED_BY[claim]} is not true`,
        );
      }
      if (read.status !== 'present') continue;
      const fitted = fitValue(column, read.value);
      if (!fitted.ok) {
        this.logger.warn(`Skipped field ${this.plan.entityName}.${column.property} (claim "${claim}"): ${fitted.reason}`);
        continue;
      }
      yield { column, value: fitted.value };
    }
  }
}
