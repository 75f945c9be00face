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

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;
const NO_COOKIES: ReadonlyMap<string, string> = new Map();

function headerValue(req: RequestHeadersLike, name: string): string | undefined {
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
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
    const match = authorization ? BEARER.exec(authorization) : null;
    if (match) access = match[1];
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
