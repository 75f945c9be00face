import type { CognitoAuthSettings } from '../options/cognito-auth.options.js';
import { CSRF_COOKIE, parseCookies } from './cookies.js';

/** The tokens a request carries, and where they came from. */
export interface ExtractedTokens {
  readonly access?: string;
  readonly id?: string;
  readonly refresh?: string;
  /** True when at least one token was read from a cookie (CSRF applies). */
  readonly fromCookies: boolean;
  /** The request's cookies, when cookies are on. */
  readonly cookies: ReadonlyMap<string, string>;
}

/** The part of a request the extractor reads. */
export interface RequestHeadersLike {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

const cookieNameSets = new WeakMap<CognitoAuthSettings, ReadonlySet<string>>();

/** The cookies the library reads: the three token cookies and the CSRF cookie. */
function cookieNamesOf(settings: CognitoAuthSettings): ReadonlySet<string> {
  let names = cookieNameSets.get(settings);
  if (!names) {
    const n = settings.cookies.names;
    names = new Set([n.access, n.id, n.refresh, CSRF_COOKIE]);
    cookieNameSets.set(settings, names);
  }
  return names;
}

const NO_COOKIES: ReadonlyMap<string, string> = new Map();

function headerValue(req: RequestHeadersLike, name: string): string | undefined {
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;
/** The characters of JavaScript's `\s` above Latin-1: a header Node parsed never holds one. */
const WIDE_WHITESPACE = /[\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

/**
 * Whether `text` holds a character of JavaScript's `\s`. Each Latin-1 one is looked for with
 * `includes` (a vectorised native search), then the wider ones with a class V8 rejects at once for
 * a one-byte string: over a kilobyte token, several times cheaper than `/\s/`, which tests the
 * class character by character, on every request.
 */
export function hasWhitespace(text: string): boolean {
  return (
    text.includes(' ') ||
    text.includes('\t') ||
    text.includes('\n') ||
    text.includes('\r') ||
    text.includes('\v') ||
    text.includes('\f') ||
    text.includes('\u00a0') ||
    WIDE_WHITESPACE.test(text)
  );
}

/**
 * The token of an `Authorization: Bearer <token>` value (RFC 6750 section 2.1): the scheme in
 * any case, spaces or tabs, then one run of non-whitespace; anything else is no token. The value
 * arrives trimmed. The scheme is compared by hand and the token searched for whitespace natively:
 * a regular expression capturing the token costs more, on every request, over a token of a
 * kilobyte or more.
 */
export function bearerToken(value: string): string | undefined {
  if (value.length < 8 || value.slice(0, 6).toLowerCase() !== 'bearer' || !isBlank(value.charCodeAt(6))) return undefined;
  let start = 7;
  while (start < value.length && isBlank(value.charCodeAt(start))) start++;
  const token = value.slice(start);
  return token === '' || hasWhitespace(token) ? undefined : token;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/**
 * Reads the tokens: headers `ACCESSTOKEN`, `IDTOKEN`, `REFRESHTOKEN` (Node lower-cases names, so
 * any case works), `Authorization: Bearer <access token>`, then, with cookies on, the token
 * cookies. An empty or blank value counts as absent; a header wins over a cookie.
 */
export function extractTokens(req: RequestHeadersLike, settings: CognitoAuthSettings): ExtractedTokens {
  let access = headerValue(req, 'accesstoken');
  if (access === undefined) {
    const authorization = headerValue(req, 'authorization');
    if (authorization !== undefined) access = bearerToken(authorization);
  }
  let id = headerValue(req, 'idtoken');
  let refresh = headerValue(req, 'refreshtoken');
  if (!settings.cookies.enabled) return { access, id, refresh, fromCookies: false, cookies: NO_COOKIES };

  const names = settings.cookies.names;
  const cookies = parseCookies(headerValue(req, 'cookie'), cookieNamesOf(settings));
  let fromCookies = false;
  if (access === undefined && (access = nonEmpty(cookies.get(names.access))) !== undefined) fromCookies = true;
  if (id === undefined && (id = nonEmpty(cookies.get(names.id))) !== undefined) fromCookies = true;
  if (refresh === undefined && (refresh = nonEmpty(cookies.get(names.refresh))) !== undefined) fromCookies = true;
  return { access, id, refresh, fromCookies, cookies };
}
