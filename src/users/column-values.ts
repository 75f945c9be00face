/**
 * Fitting claim values to entity columns, from TypeORM's column metadata, before anything is
 * written: a value that does not fit is refused with a reason (never quoting the value), so the
 * database never sees it and never answers with an error for it.
 */
import type { ColumnKind, ColumnPlan } from './column-plan.js';

/** A claim value fitted to a column (the value to write), or why it does not fit (never quoting it). */
export type FitResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;
const INTEGER_STRING_RE = /^[+-]?\d{1,40}$/;
const NUMBER_STRING_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

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

function ok(value: unknown): FitResult {
  return { ok: true, value };
}

/**
 * Fits a claim value (not null or undefined) to a column. The result's value is what is written;
 * the reason of a refusal never quotes the value.
 */
export function fitValue(plan: ColumnPlan, value: unknown): FitResult {
  return FITTERS[plan.kind](plan, value);
}

const FITTERS: Readonly<Record<ColumnKind, (plan: ColumnPlan, value: unknown) => FitResult>> = {
  string: fitString,
  uuid: (_, value) => (typeof value === 'string' && UUID_RE.test(value) ? ok(value.toLowerCase()) : fail('the value is not a UUID')),
  integer: fitInteger,
  float: (_, value) => {
    const n = typeof value === 'number' ? value : typeof value === 'string' && NUMBER_STRING_RE.test(value.trim()) ? Number(value) : NaN;
    return Number.isFinite(n) ? ok(n) : fail(`${describeType(value)} is not a finite number`);
  },
  decimal: fitDecimal,
  boolean: (_, value) => fitBoolean(value),
  date: fitDate,
  json: fitJson,
  'simple-array': fitSimpleArray,
  enum: (plan, value) => {
    if (typeof value !== 'string' && typeof value !== 'number') return fail(`${describeType(value)} is not an enum member`);
    const member = (plan.enumValues ?? []).find((m) => String(m) === String(value));
    return member === undefined ? fail("the value is not one of the column's enum members") : ok(member);
  },
  transformed: (_, value) => {
    // The column's transformer decides what is stored; only scalars are handed to it.
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
      if (typeof value === 'string' && LONE_SURROGATE_RE.test(value)) return fail('the value is not well-formed Unicode');
      return ok(value);
    }
    return fail(`${describeType(value)} cannot be handed to the column's transformer`);
  },
};

function fitString(plan: ColumnPlan, value: unknown): FitResult {
  let s: string;
  if (typeof value === 'string') s = value;
  else if (typeof value === 'number' && Number.isFinite(value)) s = String(value);
  else if (typeof value === 'boolean') s = String(value);
  else return fail(`${describeType(value)} cannot be stored in a text column`);
  const bad = checkString(plan, s);
  return bad ? fail(bad) : ok(s);
}

function fitInteger(plan: ColumnPlan, value: unknown): FitResult {
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
  return ok(Number.isSafeInteger(asNumber) ? asNumber : big.toString());
}

function fitDecimal(plan: ColumnPlan, value: unknown): FitResult {
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
  return ok(text);
}

function fitBoolean(value: unknown): FitResult {
  if (typeof value === 'boolean') return ok(value);
  if (value === 1 || value === 0) return ok(value === 1);
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (t === 'true' || t === '1') return ok(true);
    if (t === 'false' || t === '0') return ok(false);
  }
  return fail(`${describeType(value)} is not a boolean`);
}

function fitDate(plan: ColumnPlan, value: unknown): FitResult {
  const [min, max] = plan.dateRange ?? [-Infinity, Infinity];
  if (plan.dateOnly && typeof value === 'string' && DATE_ONLY_RE.test(value.trim())) {
    const text = value.trim();
    const ms = Date.parse(`${text}T00:00:00Z`);
    if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== text) return fail('the value is not a valid date');
    if (ms < min || ms > max) return fail("the value is outside the column's date range");
    return ok(text);
  }
  let ms: number;
  // Numbers are seconds since the epoch, as Cognito's `updated_at` and `auth_time` are.
  if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string' && value.trim() !== '') ms = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value);
  else return fail(`${describeType(value)} is not a date`);
  if (!Number.isFinite(ms)) return fail('the value is not a valid date');
  if (ms < min || ms > max) return fail("the value is outside the column's date range");
  return ok(plan.dateOnly ? new Date(ms).toISOString().slice(0, 10) : new Date(ms));
}

function fitJson(plan: ColumnPlan, value: unknown): FitResult {
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
  return ok(value);
}

function fitSimpleArray(plan: ColumnPlan, value: unknown): FitResult {
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
  return bad ? fail(bad) : ok(items);
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
  return ka.every(
    (k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
