import type { CookieSameSite } from '../options/cognito-auth.options.js';

/** Attributes of a cookie the library writes. */
export interface CookieAttributes {
  readonly httpOnly: boolean;
  readonly secure: boolean;
  readonly sameSite: CookieSameSite;
  readonly maxAgeSeconds: number;
  readonly domain: string | undefined;
}

/** Name of the double-submit CSRF cookie. */
export const CSRF_COOKIE = 'csrf_token';

/**
 * Reads the cookies named in `wanted` from a `Cookie` header (first occurrence wins), without
 * cookie-parser. Every pair is scanned, so token cookies behind many others (set by a sibling
 * subdomain, say) are still found; the work is bounded by Node's header size limit, and only the
 * wanted values are kept or decoded.
 */
export function parseCookies(header: string | undefined, wanted: ReadonlySet<string>): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  let start = 0;
  while (start < header.length && cookies.size < wanted.size) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq > start && eq < end) {
      const name = header.slice(start, eq).trim();
      if (wanted.has(name) && !cookies.has(name)) cookies.set(name, decodeValue(header.slice(eq + 1, end).trim()));
    }
    start = end + 1;
  }
  return cookies;
}

function decodeValue(raw: string): string {
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // Not percent-encoded after all: keep it as sent.
  }
}

/** One `Set-Cookie` value with `Path=/` and the given attributes. */
export function serializeCookie(name: string, value: string, attrs: CookieAttributes): string {
  let cookie = `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=${attrs.maxAgeSeconds}`;
  if (attrs.domain) cookie += `; Domain=${attrs.domain}`;
  if (attrs.httpOnly) cookie += '; HttpOnly';
  if (attrs.secure) cookie += '; Secure';
  cookie += `; SameSite=${attrs.sameSite === 'lax' ? 'Lax' : attrs.sameSite === 'strict' ? 'Strict' : 'None'}`;
  return cookie;
}
