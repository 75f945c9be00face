/**
 * Fitting claim values to entity columns, from TypeORM's column metadata, before anything is
 * written: a value that does not fit is refused with a reason (never quoting the value), so the
 * database never sees it and never answers with an error for it.
 */
import type { DataSource, EntityMetadata } from 'typeorm';

/** TypeORM's column metadata (not re-exported from the package root). */
export type ColumnMetadata = EntityMetadata['columns'][number];

/** How a column takes a claim value. */
export type ColumnKind =
  | 'string'
  | 'uuid'
  | 'integer'
  | 'float'
  | 'decimal'
  | 'boolean'
  | 'date'
  | 'json'
  | 'simple-array'
  | 'enum'
  | 'transformed';

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

export type FitResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

const STRING_TYPES = new Set([
  'varchar', 'character varying', 'nvarchar', 'national varchar', 'char', 'character', 'nchar',
  'national char', 'text', 'tinytext', 'mediumtext', 'longtext', 'ntext', 'citext', 'string',
  'varchar2', 'nvarchar2', 'clob', 'nclob', 'long', 'shorttext', 'alphanum',
]);
const MYSQL_TEXT_BYTES: Record<string, number> = {
  tinytext: 255,
  text: 65_535,
  mediumtext: 16_777_215,
  longtext: 4_294_967_295,
};
const INTEGER_BITS: Record<string, number> = {
  tinyint: 8, smallint: 16, int2: 16, mediumint: 24, int: 32, integer: 32, int4: 32,
  bigint: 64, int8: 64, int64: 64, serial: 32, bigserial: 64, smallserial: 16,
};
const FLOAT_TYPES = new Set(['float', 'double', 'real', 'double precision', 'float4', 'float8', 'float64', 'smallfloat']);
const DECIMAL_TYPES = new Set(['decimal', 'numeric', 'dec', 'fixed', 'number', 'money', 'smallmoney', 'smalldecimal']);
const DATE_TYPES = new Set([
  'date', 'datetime', 'datetime2', 'smalldatetime', 'datetimeoffset', 'timestamp', 'timestamptz',
  'timestamp without time zone', 'timestamp with time zone', 'timestamp with local time zone',
]);
/** 0001-01-01T00:00:00Z (Date.UTC maps years 0-99 to 1900-1999, so it cannot be used here). */
const YEAR_1_MS = -62_135_596_800_000;
const MYSQL_FAMILY = new Set(['mysql', 'mariadb', 'aurora-mysql']);
const POSTGRES_FAMILY = new Set(['postgres', 'aurora-postgres', 'cockroachdb']);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;
const INTEGER_STRING_RE = /^[+-]?\d{1,40}$/;
const NUMBER_STRING_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

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
    const range: [bigint, bigint] = unsigned
      ? [0n, (1n << BigInt(bits)) - 1n]
      : [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n];
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
      mysql && norm === 'timestamp'
        ? [1000, Date.UTC(2038, 0, 19, 3, 14, 7)]
        : [YEAR_1_MS, Date.UTC(9999, 11, 31, 23, 59, 59, 999)];
    return { ...base, kind: 'date', dateRange, dateOnly: norm === 'date' };
  }
  return `its type "${norm || String(raw)}" is not one claim mapping supports`;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function checkString(plan: ColumnPlan, s: string): string | undefined {
  if (LONE_SURROGATE_RE.test(s)) return 'the value is not well-formed Unicode';
  if (plan.rejectNul && s.includes('\u0000')) return 'the value contains a NUL character';
  if (plan.maxLength !== undefined) {
    let count = 0;
    for (const _ of s) {
      if (++count > plan.maxLength) return `the value is longer than the column's ${plan.maxLength} characters`;
    }
  }
  if (plan.maxBytes !== undefined && utf8Bytes(s) > plan.maxBytes) {
    return `the value is longer than the column's ${plan.maxBytes} bytes`;
  }
  return undefined;
}

function fail(reason: string): FitResult {
  return { ok: false, reason };
}

/**
 * Fits a claim value (not null or undefined) to a column. The result's value is what is written;
 * the reason of a refusal never quotes the value.
 */
export function fitValue(plan: ColumnPlan, value: unknown): FitResult {
  switch (plan.kind) {
    case 'string': {
      let s: string;
      if (typeof value === 'string') s = value;
      else if (typeof value === 'number' && Number.isFinite(value)) s = String(value);
      else if (typeof value === 'boolean') s = String(value);
      else return fail(`${describeType(value)} cannot be stored in a text column`);
      const bad = checkString(plan, s);
      return bad ? fail(bad) : { ok: true, value: s };
    }
    case 'uuid': {
      if (typeof value !== 'string' || !UUID_RE.test(value)) return fail('the value is not a UUID');
      return { ok: true, value: value.toLowerCase() };
    }
    case 'integer': {
      let big: bigint;
      if (typeof value === 'number') {
        if (!Number.isInteger(value)) return fail('the value is not an integer');
        if (!Number.isSafeInteger(value)) return fail('the value is outside the safe integer range');
        big = BigInt(value);
      } else if (typeof value === 'string' && INTEGER_STRING_RE.test(value.trim())) {
        big = BigInt(value.trim());
      } else {
        return fail(`${describeType(value)} is not an integer`);
      }
      const [min, max] = plan.intRange ?? [BigInt(Number.MIN_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER)];
      if (big < min || big > max) return fail("the value is outside the column's integer range");
      const asNumber = Number(big);
      return { ok: true, value: Number.isSafeInteger(asNumber) ? asNumber : big.toString() };
    }
    case 'float': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && NUMBER_STRING_RE.test(value.trim()) ? Number(value) : NaN;
      if (!Number.isFinite(n)) return fail(`${describeType(value)} is not a finite number`);
      return { ok: true, value: n };
    }
    case 'decimal': {
      let text: string;
      if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
      else if (typeof value === 'string' && NUMBER_STRING_RE.test(value.trim())) text = value.trim();
      else return fail(`${describeType(value)} is not a number`);
      if (/e/i.test(text)) {
        const n = Number(text);
        if (!Number.isFinite(n)) return fail('the value is not a finite number');
        text = n.toFixed(20).replace(/\.?0+$/, '');
      }
      const integerDigits = text.replace(/^[+-]/, '').split('.')[0].replace(/^0+/, '').length;
      if (plan.maxIntegerDigits !== undefined && integerDigits > plan.maxIntegerDigits) {
        return fail("the value has more digits than the column's precision allows");
      }
      return { ok: true, value: text };
    }
    case 'boolean': {
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 1 || value === 0) return { ok: true, value: value === 1 };
      if (typeof value === 'string') {
        const t = value.trim().toLowerCase();
        if (t === 'true' || t === '1') return { ok: true, value: true };
        if (t === 'false' || t === '0') return { ok: true, value: false };
      }
      return fail(`${describeType(value)} is not a boolean`);
    }
    case 'date': {
      if (plan.dateOnly && typeof value === 'string' && DATE_ONLY_RE.test(value.trim())) {
        const text = value.trim();
        const ms = Date.parse(`${text}T00:00:00Z`);
        if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== text) return fail('the value is not a valid date');
        const [min, max] = plan.dateRange ?? [-Infinity, Infinity];
        if (ms < min || ms > max) return fail("the value is outside the column's date range");
        return { ok: true, value: text };
      }
      let ms: number;
      // Numbers are seconds since the epoch, as Cognito's `updated_at` and `auth_time` are.
      if (typeof value === 'number') ms = value * 1000;
      else if (typeof value === 'string' && value.trim() !== '') ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value);
      else return fail(`${describeType(value)} is not a date`);
      if (!Number.isFinite(ms)) return fail('the value is not a valid date');
      const [min, max] = plan.dateRange ?? [-Infinity, Infinity];
      if (ms < min || ms > max) return fail("the value is outside the column's date range");
      return { ok: true, value: plan.dateOnly ? new Date(ms).toISOString().slice(0, 10) : new Date(ms) };
    }
    case 'json': {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch {
        text = undefined;
      }
      if (text === undefined) return fail('the value cannot be written as JSON');
      if (LONE_SURROGATE_RE.test(text)) return fail('the value is not well-formed Unicode');
      if (plan.rejectNul && text.includes('\\u0000')) return fail('the value contains a NUL character');
      if (plan.maxBytes !== undefined && utf8Bytes(text) > plan.maxBytes) {
        return fail(`the value is longer than the column's ${plan.maxBytes} bytes`);
      }
      return { ok: true, value };
    }
    case 'simple-array': {
      if (!Array.isArray(value)) return fail(`${describeType(value)} is not an array`);
      const items: string[] = [];
      for (const item of value) {
        if (typeof item !== 'string' && !(typeof item === 'number' && Number.isFinite(item))) {
          return fail('an array item is not a string or number');
        }
        const s = String(item);
        if (s.includes(',')) return fail('an array item contains a comma, which simple-array cannot store');
        items.push(s);
      }
      const bad = checkString(plan, items.join(','));
      return bad ? fail(bad) : { ok: true, value: items };
    }
    case 'enum': {
      if (typeof value !== 'string' && typeof value !== 'number') return fail(`${describeType(value)} is not an enum member`);
      const member = (plan.enumValues ?? []).find((m) => String(m) === String(value));
      return member === undefined ? fail("the value is not one of the column's enum members") : { ok: true, value: member };
    }
    case 'transformed': {
      // The column's transformer decides what is stored; only scalars are handed to it.
      if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
        if (typeof value === 'string' && LONE_SURROGATE_RE.test(value)) return fail('the value is not well-formed Unicode');
        return { ok: true, value };
      }
      return fail(`${describeType(value)} cannot be handed to the column's transformer`);
    }
  }
}

/** Whether a fitted value equals what the entity holds, so that only real changes are written. */
export function sameValue(plan: ColumnPlan, current: unknown, next: unknown): boolean {
  if (current === next) return true;
  if (current === null || current === undefined) return false;
  switch (plan.kind) {
    case 'date': {
      if (typeof next === 'string') return String(current).slice(0, 10) === next;
      const a = current instanceof Date ? current.getTime() : new Date(current as string).getTime();
      return next instanceof Date && a === next.getTime();
    }
    case 'boolean':
      return (typeof current === 'number' || typeof current === 'string' ? Number(current) !== 0 : current) === next;
    case 'integer':
    case 'float':
      return String(current) === String(next);
    case 'decimal':
      return Number(current) === Number(next);
    case 'json':
    case 'simple-array':
      return deepEqual(current, next);
    default:
      return false;
  }
}

/** Structural equality of JSON values, whatever the key order (PostgreSQL's jsonb reorders keys). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((item, i) => deepEqual(item, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
