import { createHash, timingSafeEqual } from 'node:crypto';
import { CsrfFailedError } from '../errors/cognito-auth.errors.js';
import { CSRF_COOKIE } from './cookies.js';

/** Methods that never need the CSRF header (an allow-list: PURGE, PROPFIND and the like are unsafe). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What the double-submit check reads from a request. */
export interface CsrfInput {
  readonly method: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly cookies: ReadonlyMap<string, string> | undefined;
}

/**
 * Double-submit CSRF check for cookie-borne tokens: every method but GET, HEAD and OPTIONS must
 * send `X-CSRF-Token` equal to the `csrf_token` cookie (compared in constant time).
 * @throws CsrfFailedError 403 `csrf_failed`
 */
export function checkCsrf(input: CsrfInput): void {
  if (SAFE_METHODS.has((input.method ?? 'GET').toUpperCase())) return;
  const sent = input.headers['x-csrf-token'];
  const expected = input.cookies?.get(CSRF_COOKIE);
  if (typeof sent !== 'string' || !sent || !expected || !constantTimeEqual(sent, expected)) throw new CsrfFailedError();
}

function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}
