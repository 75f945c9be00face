import type { CookieSameSite } from '../options/cognito-auth.options.js';

/** Attributes of a cookie the library writes. */
export interface CookieAttributes {
  readonly httpOnly: boolean;
  readonly secure: boolean;
  readonly sameSite: CookieSameSite;
  readonly maxAgeSeconds: number;
  readonly domain: string | undefined;
}

const MAX_COOKIES = 64;

/**
 * Parses a `Cookie` header into name → value (first occurrence wins), without cookie-parser.
 * Bounded: at most 64 pairs are read.
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  let count = 0;
  for (const part of header.split(';')) {
    if (++count > MAX_COOKIES) break;
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || cookies.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = value.includes('%') ? decodeURIComponent(value) : value;
    } catch {
      // Not percent-encoded after all: keep it as sent.
    }
    cookies.set(name, value);
  }
  return cookies;
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
