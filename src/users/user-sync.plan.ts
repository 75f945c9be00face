/**
 * Everything user sync works out at start-up about the entity and the field mapping: which
 * column is looked up, which claims go to which columns, which column holds the Cognito `sub`;
 * and the configuration mistakes worth an error or a warning.
 */
import type { LoggerService } from '@nestjs/common';
import type { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import { CognitoConfigError } from '../errors/cognito-auth.errors.js';
import type { ResolvedUserSyncSettings } from '../options/cognito-auth.options.js';
import { CognitoUser } from './cognito-user.entity.js';
import { type ColumnMetadata, type ColumnPlan, planColumn } from './column-plan.js';
import { looksLikePrivilege } from './privilege-columns.js';

/** A mapped column and the claim it is filled from. */
export interface MappedColumn {
  readonly plan: ColumnPlan;
  readonly claim: string;
}

/** Everything resolved at start-up about the entity and the mapping. */
export interface SyncPlan {
  readonly target: EntityTarget<ObjectLiteral>;
  readonly entityName: string;
  readonly metadata: EntityMetadata;
  readonly lookup: ColumnPlan;
  readonly tokenField: string;
  /** Mapped columns with their claim names; the lookup column is never among them. */
  readonly mapped: readonly MappedColumn[];
  /**
   * The column that holds the caller's `sub` (the one the mapping fills from the `sub` claim),
   * when users are looked up by another claim: a row found that way must belong to the caller.
   */
  readonly owner: ColumnPlan | undefined;
  readonly autoCreate: boolean;
  readonly updateOnLogin: boolean;
}

/** Checks the entity and the mapping against the DataSource; throws a `CognitoConfigError` naming the setting. */
export function buildSyncPlan(users: ResolvedUserSyncSettings, dataSource: DataSource, logger: LoggerService): SyncPlan {
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
  const lookupColumn = lookupColumnOf(users, metadata);
  const lookup = planColumn(dataSource, lookupColumn);
  if (typeof lookup === 'string') {
    throw new CognitoConfigError(users.sources.lookupField, `column "${users.lookupField}" of entity ${entityName}: ${lookup}`);
  }

  const all = mappedColumns(users, dataSource, metadata);
  const mapped = all.filter((m) => m.plan.column !== lookupColumn);
  const subColumn = all.find((m) => m.claim === 'sub')?.plan;
  const owner = users.tokenField === 'sub' || subColumn?.column === lookupColumn ? undefined : subColumn;

  const { tokenField, autoCreate, updateOnLogin } = users;
  const plan: SyncPlan = { target, entityName, metadata, lookup, tokenField, mapped, owner, autoCreate, updateOnLogin };
  warnUnfilled(plan, logger);
  warnPrivileged(plan, all, users.sources.fieldMapping, logger);
  if (users.tokenField !== 'sub' && !subColumn) {
    logger.warn(
      `Users are looked up by the "${users.tokenField}" claim and no column of ${entityName} is mapped from "sub": ` +
        `a row is not tied to one Cognito account, so any account with that ${users.tokenField} gets it. ` +
        `Map a column from "sub" in ${users.sources.fieldMapping} to tie rows to accounts`,
    );
  }
  return plan;
}

function lookupColumnOf(users: ResolvedUserSyncSettings, metadata: EntityMetadata): ColumnMetadata {
  const column = writableColumn(metadata, users.lookupField);
  if (typeof column === 'string') {
    throw new CognitoConfigError(users.sources.lookupField, `"${users.lookupField}" ${column} of entity ${metadata.name}`);
  }
  if (!isUniqueColumn(metadata, column)) {
    throw new CognitoConfigError(
      users.sources.lookupField,
      `column "${users.lookupField}" of entity ${metadata.name} must be unique (unique: true, a primary key, or a ` +
        'single-column unique index or constraint): a unique constraint is required for race-free user creation',
    );
  }
  return column;
}

function mappedColumns(users: ResolvedUserSyncSettings, dataSource: DataSource, metadata: EntityMetadata): MappedColumn[] {
  const mapped: MappedColumn[] = [];
  for (const [field, claim] of Object.entries(users.fieldMapping)) {
    const column = writableColumn(metadata, field);
    if (typeof column === 'string') {
      throw new CognitoConfigError(users.sources.fieldMapping, `"${field}" ${column} of entity ${metadata.name}`);
    }
    const plan = planColumn(dataSource, column);
    if (typeof plan === 'string') {
      throw new CognitoConfigError(users.sources.fieldMapping, `column "${field}" of entity ${metadata.name}: ${plan}`);
    }
    mapped.push({ plan, claim });
  }
  return mapped;
}

function warnUnfilled(plan: SyncPlan, logger: LoggerService): void {
  if (!plan.autoCreate) return;
  const filled = new Set<ColumnMetadata>([plan.lookup.column, ...plan.mapped.map((m) => m.plan.column)]);
  const unfilled = plan.metadata.columns.filter((c) => !filled.has(c) && isRequiredOnInsert(c)).map((c) => c.propertyName);
  if (unfilled.length > 0) {
    logger.warn(
      `Entity ${plan.entityName}: column(s) ${unfilled.join(', ')} are NOT NULL without a default and not in ` +
        'users.fieldMapping; automatic user creation will fail unless something else fills them',
    );
  }
}

/**
 * One warning naming every mapped column that looks like a privilege; start-up goes on. Claims
 * of Cognito's own (`cognito:groups`, `cognito:roles`...) are left out: only an administrator
 * changes them, and mapping groups to roles is how privileges are meant to come from Cognito.
 */
function warnPrivileged(plan: SyncPlan, all: readonly MappedColumn[], source: string, logger: LoggerService): void {
  const privileged = all.filter(
    (m) => !m.claim.startsWith('cognito:') && (looksLikePrivilege(m.plan.property) || looksLikePrivilege(m.plan.column.databaseName)),
  );
  if (privileged.length === 0) return;
  const named = privileged.map((m) => `${plan.entityName}.${m.plan.property} (claim "${m.claim}")`).join(', ');
  logger.warn(
    `${source} writes claims into column(s) that look like privileges: ${named}. Whoever can change such a claim ` +
      "grants themselves the privilege: make sure users cannot write it (the app client's write attributes), " +
      'or keep privileges out of the mapping',
  );
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
  if (c.isNullable || c.default !== undefined || !c.isInsert) return false;
  const maintained = c.isGenerated || !!c.asExpression || c.isCreateDate || c.isUpdateDate || c.isDeleteDate || c.isVersion;
  const notStored = c.isVirtual || c.isVirtualProperty || c.isDiscriminator || c.isTreeLevel;
  return !maintained && !notStored;
}
