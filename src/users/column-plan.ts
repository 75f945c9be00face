/**
 * How each entity column takes claim values, worked out once at start-up from TypeORM's column
 * metadata and the database type.
 */
import type { DataSource, EntityMetadata } from 'typeorm';

/** TypeORM's column metadata (not re-exported from the package root). */
export type ColumnMetadata = EntityMetadata['columns'][number];

/** How a column takes a claim value. */
export type ColumnKind =
  'string' | 'uuid' | 'integer' | 'float' | 'decimal' | 'boolean' | 'date' | 'json' | 'simple-array' | 'enum' | 'transformed';

/** What is known about a mapped column, worked out once at start-up. */
export interface ColumnPlan {
  readonly property: string;
  readonly column: ColumnMetadata;
  readonly kind: ColumnKind;
  /** Maximum length in characters (code points), for string kinds. */
  readonly maxLength?: number;
  /** Maximum length in UTF-8 bytes (MySQL/MariaDB TEXT family, simple-json, simple-array). */
  readonly maxBytes?: number;
  /** Inclusive range, for integers. */
  readonly intRange?: readonly [bigint, bigint];
  /** Digits before the decimal point allowed, for decimals with a precision. */
  readonly maxIntegerDigits?: number;
  /** Allowed date range in ms since the epoch. */
  readonly dateRange?: readonly [number, number];
  /** A DATE column (no time of day): written as `YYYY-MM-DD`, the UTC date of the value. */
  readonly dateOnly?: boolean;
  readonly enumValues?: readonly (string | number)[];
  /** Reject strings with U+0000 (PostgreSQL refuses them in text and JSON). */
  readonly rejectNul: boolean;
}

const STRING_TYPES = new Set([
  'varchar',
  'character varying',
  'nvarchar',
  'national varchar',
  'char',
  'character',
  'nchar',
  'national char',
  'text',
  'tinytext',
  'mediumtext',
  'longtext',
  'ntext',
  'citext',
  'string',
  'varchar2',
  'nvarchar2',
  'clob',
  'nclob',
  'long',
  'shorttext',
  'alphanum',
]);
const MYSQL_TEXT_BYTES: Record<string, number> = {
  tinytext: 255,
  text: 65_535,
  mediumtext: 16_777_215,
  longtext: 4_294_967_295,
};
const INTEGER_BITS: Record<string, number> = {
  tinyint: 8,
  smallint: 16,
  int2: 16,
  mediumint: 24,
  int: 32,
  integer: 32,
  int4: 32,
  bigint: 64,
  int8: 64,
  int64: 64,
  serial: 32,
  bigserial: 64,
  smallserial: 16,
};
const FLOAT_TYPES = new Set(['float', 'double', 'real', 'double precision', 'float4', 'float8', 'float64', 'smallfloat']);
const DECIMAL_TYPES = new Set(['decimal', 'numeric', 'dec', 'fixed', 'number', 'money', 'smallmoney', 'smalldecimal']);
const DATE_TYPES = new Set([
  'date',
  'datetime',
  'datetime2',
  'smalldatetime',
  'datetimeoffset',
  'timestamp',
  'timestamptz',
  'timestamp without time zone',
  'timestamp with time zone',
  'timestamp with local time zone',
]);
/** 0001-01-01T00:00:00Z (Date.UTC maps years 0-99 to 1900-1999, so it cannot be used here). */
const YEAR_1_MS = -62_135_596_800_000;
const MYSQL_FAMILY = new Set(['mysql', 'mariadb', 'aurora-mysql']);
const POSTGRES_FAMILY = new Set(['postgres', 'aurora-postgres', 'cockroachdb']);
/**
 * Works out how a column takes claim values. Returns a string (the reason) when the column
 * cannot take a claim at all: the caller turns that into a start-up error.
 */
export function planColumn(dataSource: DataSource, column: ColumnMetadata): ColumnPlan | string {
  const driver = dataSource.driver;
  const dbType = String(dataSource.options.type);
  const mysql = MYSQL_FAMILY.has(dbType);
  const rejectNul = POSTGRES_FAMILY.has(dbType);
  const raw = column.type;
  const norm = String(driver.normalizeType(column) ?? '').toLowerCase();
  const base = { property: column.propertyName, column, rejectNul };

  if (column.isArray) return `its type is an array (${norm}[]), which claim mapping does not support`;
  if (column.transformer) return { ...base, kind: 'transformed' };
  if (raw === Boolean || raw === 'boolean' || raw === 'bool' || norm === 'boolean' || norm === 'bool' || norm === 'bit') {
    return { ...base, kind: 'boolean' };
  }
  if (raw === 'simple-json') return { ...base, kind: 'json', maxBytes: mysql ? MYSQL_TEXT_BYTES.text : undefined };
  if (norm === 'json' || norm === 'jsonb') return { ...base, kind: 'json' };
  if (raw === 'simple-array') return { ...base, kind: 'simple-array', maxBytes: mysql ? MYSQL_TEXT_BYTES.text : undefined };
  if (raw === 'simple-enum' || norm === 'enum' || norm === 'simple-enum') {
    return { ...base, kind: 'enum', enumValues: column.enum ?? [] };
  }
  if (raw === 'uuid' || norm === 'uuid' || norm === 'uniqueidentifier') return { ...base, kind: 'uuid' };
  if (STRING_TYPES.has(norm)) {
    const length = Number(column.length || driver.getColumnLength(column) || 0);
    const maxLength = Number.isFinite(length) && length > 0 ? length : undefined;
    const maxBytes = mysql ? MYSQL_TEXT_BYTES[norm] : undefined;
    return { ...base, kind: 'string', maxLength, maxBytes };
  }
  const bits = INTEGER_BITS[norm];
  if (bits !== undefined) {
    const unsigned = column.unsigned || (norm === 'tinyint' && dbType === 'mssql');
    const range: [bigint, bigint] = unsigned ? [0n, (1n << BigInt(bits)) - 1n] : [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n];
    return { ...base, kind: 'integer', intRange: range };
  }
  if (FLOAT_TYPES.has(norm)) return { ...base, kind: 'float' };
  if (DECIMAL_TYPES.has(norm)) {
    const defaults = driver.dataTypeDefaults?.[norm];
    const precision = column.precision ?? defaults?.precision;
    const scale = column.scale ?? defaults?.scale ?? 0;
    const maxIntegerDigits = typeof precision === 'number' && precision > 0 ? Math.max(precision - scale, 0) : undefined;
    return { ...base, kind: 'decimal', maxIntegerDigits };
  }
  if (DATE_TYPES.has(norm)) {
    // MySQL/MariaDB TIMESTAMP holds 1970-01-01 00:00:01 to 2038-01-19 03:14:07 UTC; others years 1-9999.
    const dateRange: [number, number] =
      mysql && norm === 'timestamp' ? [1000, Date.UTC(2038, 0, 19, 3, 14, 7)] : [YEAR_1_MS, Date.UTC(9999, 11, 31, 23, 59, 59, 999)];
    return { ...base, kind: 'date', dateRange, dateOnly: norm === 'date' };
  }
  return `its type "${norm || String(raw)}" is not one claim mapping supports`;
}
