/**
 * The fuzz suites' oracle: what the documented verification rules say a request must get, computed from
 * the exact token strings sent, with jose as the signature oracle.
 *
 * A token is valid for a use when: it is at most `maxTokenLength` characters; it is a compact JWS
 * of three non-empty unpadded base64url segments, each canonical (decoding and re-encoding gives
 * the same string: no lone last character, no unused low bits set, RFC 4648 section 3.5); its
 * header is a JSON object (strict UTF-8) with `alg` exactly "RS256", no `crit`, a non-empty string
 * `kid` that the JWKS publishes; jose's `compactVerify` accepts it with that key (jose, not the
 * `node:crypto` check the library makes, so the oracle does not share the code it judges); its
 * payload is a JSON object (strict UTF-8); neither
 * holds a `__proto__`, `constructor` or `prototype` member at any depth; `iss` is an accepted
 * issuer; `token_use` is exactly the use; `sub` is a non-empty string; `client_id` (access) or
 * `aud` (ID) is a string naming a configured client; `exp` and `iat` are NumericDates, `iat` not
 * in the future, `nbf` (when present) a NumericDate not in the future, `auth_time` (when present)
 * a NumericDate, all with the clock tolerance; `cognito:groups` (when present) an array of
 * strings; `scope`, `username`, `cognito:username`, `email`, `at_hash`, `jti`, `origin_jti` (when
 * present) strings. Expired means all of that holds but `exp + tolerance` has passed. A NumericDate
 * is a finite number in [0, 1e11) (1e20 is malformed, as the hostile-token suite has it). Claims
 * the contract does not use (`event_id`, `email_verified`, custom claims) are not checked. Two
 * tokens pair when `sub`, client and issuer agree, `at_hash` (when the ID token has one) matches,
 * and `origin_jti` is equal when both carry one.
 *
 * Refresh: an expired pair with a refresh token the identity provider honours for that client is
 * refreshed; any refresh may also be answered 503 auth_unavailable once the user (`sub`) has made
 * 10 attempts in a minute (the per-`sub` refresh limit). The oracle cannot know which requests the
 * app counted (concurrent requests, refresh tokens remembered as refused or just refreshed make
 * no attempt), so it allows the 503 only when it is possible: when at least 10 other requests
 * that could have counted for that `sub` were sent in the 90 s before (the limit's minute plus
 * the wire client's 30 s answer timeout, so that an attempt the app counted in the minute cannot
 * have been sent earlier). Specs note each request with `noteSent` before sending it.
 *
 * Where the contract is silent (which of `ACCESSTOKEN` and `Authorization` wins; a quoted or
 * percent-encoded cookie; whether a refresh token alone is "no token at all" for the challenge;
 * CSRF or token check first), every reading it allows is accepted, and only those.
 */
import type { KeyObject } from 'node:crypto';
import { base64url, compactVerify } from 'jose';
import type { WireResponse } from './wire.js';
import { atHashOf } from './jws.js';

export type Claims = Record<string, unknown>;
export type TokenUse = 'access' | 'id';

export interface RefreshOwner {
  readonly sub: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
}

export interface OracleContext {
  readonly issuers: readonly string[];
  readonly clients: readonly string[];
  readonly toleranceSec: number;
  readonly maxTokenLength: number;
  /** kid to public key: what the JWKS endpoint publishes. */
  readonly keys: ReadonlyMap<string, KeyObject>;
  /** Refresh tokens the identity provider honours, and whom they refresh. */
  readonly refreshOwners: ReadonlyMap<string, RefreshOwner>;
}

export type Structure = { ok: false; reason: string } | { ok: true; claims: Claims };
export type TokenVerdict = { kind: 'invalid'; reason: string } | { kind: 'valid' | 'expired'; claims: Claims };

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Whether an unpadded base64url segment is the one spelling of its bytes (its re-encoding is itself). */
export const isCanonicalSegment = (segment: string): boolean => Buffer.from(segment, 'base64url').toString('base64url') === segment;

/** The per-`sub` refresh limit: attempts allowed in one minute. */
export const REFRESH_LIMIT = 10;
/** How far back a counted refresh attempt may have been sent: the limit's minute plus the wire client's answer timeout. */
const REFRESH_LOOKBACK_MS = 60_000 + 30_000;

/** A header value without HTTP whitespace (SP, HTAB) at either end, as Node hands it over. */
export const trimOws = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');

/**
 * The readings of a token header or cookie value: trimmed of HTTP whitespace, or of any Unicode
 * white space (a latin1 NBSP, say): the contract does not define "whitespace" further. An empty
 * reading is `undefined` (absent).
 */
export const readingsOf = (s: string | undefined): (string | undefined)[] =>
  s === undefined ? [undefined] : [...new Set([trimOws(s), s.trim()].map((v) => (v === '' ? undefined : v)))];
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const STRING_CLAIMS = ['scope', 'username', 'cognito:username', 'email', 'at_hash', 'jti', 'origin_jti'] as const;

function strictJsonObject(bytes: Uint8Array): Claims | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  let forbidden = false;
  let value: unknown;
  try {
    value = JSON.parse(text, (key: string, v: unknown) => {
      if (FORBIDDEN.has(key)) forbidden = true;
      return v;
    });
  } catch {
    return undefined;
  }
  if (forbidden || value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as Claims;
}

const has = (o: Claims, name: string) => Object.prototype.hasOwnProperty.call(o, name);
export const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e11;

export class Oracle {
  private readonly structures = new Map<string, Promise<Structure>>();
  /** Send times (ms) of the requests that could have counted against each `sub`'s refresh limit. */
  private readonly refreshSends = new Map<string, number[]>();

  constructor(readonly ctx: OracleContext) {}

  /**
   * Notes a request before it is sent: for every reading of it that carries a refresh token and
   * two tokens whose signatures hold, the ID token's `sub` may be charged a refresh attempt (once
   * per request and `sub`). A superset of what the app counts: expiry and pairing are not asked.
   */
  async noteSent(readings: readonly Extracted[], sentAtMs: number): Promise<void> {
    const subs = new Set<string>();
    for (const ex of readings) {
      if (!ex.refresh || !ex.access || !ex.id) continue;
      const [a, i] = await Promise.all([this.structure(ex.access), this.structure(ex.id)]);
      if (a.ok && i.ok && typeof i.claims.sub === 'string') subs.add(i.claims.sub);
    }
    for (const sub of subs) {
      const sends = this.refreshSends.get(sub) ?? [];
      sends.push(sentAtMs);
      this.refreshSends.set(sub, sends);
    }
  }

  /**
   * Whether `sub` may have reached its refresh limit for a request judged at `instants`: at least
   * `REFRESH_LIMIT` requests besides this one (noted too) were sent within the lookback.
   */
  private mayBeRefreshLimited(sub: string, instants: readonly number[]): boolean {
    const since = Math.min(...instants) - REFRESH_LOOKBACK_MS;
    const sends = this.refreshSends.get(sub) ?? [];
    let n = 0;
    for (const at of sends) if (at >= since) n++;
    return n > REFRESH_LIMIT;
  }

  /** Everything about a token that does not depend on the clock or the use. */
  structure(token: string): Promise<Structure> {
    let s = this.structures.get(token);
    if (!s) {
      if (this.structures.size > 20_000) this.structures.clear();
      s = this.computeStructure(token);
      this.structures.set(token, s);
    }
    return s;
  }

  private async computeStructure(token: string): Promise<Structure> {
    if (token.length > this.ctx.maxTokenLength) return { ok: false, reason: 'too long' };
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) return { ok: false, reason: 'not a compact JWS' };
    if (!parts.every(isCanonicalSegment)) return { ok: false, reason: 'non-canonical base64url' };
    let headerBytes: Uint8Array;
    try {
      headerBytes = base64url.decode(parts[0]);
    } catch {
      return { ok: false, reason: 'header not base64url' };
    }
    const header = strictJsonObject(headerBytes);
    if (!header) return { ok: false, reason: 'header not a clean JSON object' };
    if (header.alg !== 'RS256') return { ok: false, reason: 'alg' };
    if (has(header, 'crit')) return { ok: false, reason: 'crit' };
    if (typeof header.kid !== 'string' || header.kid === '') return { ok: false, reason: 'kid' };
    const key = this.ctx.keys.get(header.kid);
    if (!key) return { ok: false, reason: 'unknown kid' };
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, key, { algorithms: ['RS256'] }));
    } catch {
      return { ok: false, reason: 'signature (jose)' };
    }
    const claims = strictJsonObject(payload);
    if (!claims) return { ok: false, reason: 'payload not a clean JSON object' };
    return { ok: true, claims };
  }

  /** The claim rules for one use at one instant. */
  claimsVerdict(c: Claims, use: TokenUse, nowMs: number): TokenVerdict {
    const tol = this.ctx.toleranceSec * 1000;
    const bad = (reason: string): TokenVerdict => ({ kind: 'invalid', reason });
    if (typeof c.iss !== 'string' || !this.ctx.issuers.includes(c.iss)) return bad('iss');
    if (c.token_use !== use) return bad('token_use');
    if (typeof c.sub !== 'string' || c.sub === '') return bad('sub');
    const client = use === 'access' ? c.client_id : c.aud;
    if (typeof client !== 'string' || !this.ctx.clients.includes(client)) return bad('client');
    if (!isNumericDate(c.exp)) return bad('exp');
    if (!isNumericDate(c.iat)) return bad('iat');
    if (c.iat * 1000 > nowMs + tol) return bad('iat in the future');
    if (has(c, 'nbf') && !(isNumericDate(c.nbf) && c.nbf * 1000 <= nowMs + tol)) return bad('nbf');
    if (has(c, 'auth_time') && !isNumericDate(c.auth_time)) return bad('auth_time');
    const groups = c['cognito:groups'];
    if (has(c, 'cognito:groups') && !(Array.isArray(groups) && groups.every((g) => typeof g === 'string'))) return bad('groups');
    for (const name of STRING_CLAIMS) if (has(c, name) && typeof c[name] !== 'string') return bad(name);
    if (c.exp * 1000 + tol < nowMs) return { kind: 'expired', claims: c };
    return { kind: 'valid', claims: c };
  }

  async verdict(token: string, use: TokenUse, nowMs: number): Promise<TokenVerdict> {
    const s = await this.structure(token);
    return s.ok ? this.claimsVerdict(s.claims, use, nowMs) : { kind: 'invalid', reason: s.reason };
  }

  /**
   * The answers the contract allows for a request whose tokens were extracted as `ex`, on a route of
   * that kind, judged at each of `instants` (send and receive time: a case on a time boundary may
   * go either way). `id+access` mode, auto-refresh on.
   */
  async expect(ex: Extracted, route: RouteKind, instants: readonly number[], csrf: CsrfState = 'n/a'): Promise<Expectation[]> {
    const out: Expectation[] = [];
    for (const now of instants) {
      for (const auth of await this.authOutcomes(ex, now, instants)) {
        let answers: Expectation[];
        if (route === 'public') answers = [{ status: 200, sub: auth.ok ? auth.sub : null }];
        else if (!auth.ok) answers = [auth.failure];
        else if (route === 'scoped-post') {
          answers = [auth.scopes.includes('notes/write') ? { status: 201 } : { status: 403, code: 'forbidden_scope' }];
        } else answers = [{ status: 200, sub: auth.sub }];
        if (route === 'scoped-post' && csrf !== 'pass' && csrf !== 'n/a') {
          // Cookie-borne tokens on an unsafe method without the matching X-CSRF-Token: 403 csrf_failed.
          // Which check comes first is not written down, so a refusal of the tokens is accepted too;
          // but a request whose tokens are good must never pass.
          const csrfRefusal: Expectation = { status: 403, code: 'csrf_failed' };
          answers = csrf === 'fail' ? [csrfRefusal, ...(auth.ok ? [] : [auth.failure])] : [csrfRefusal, ...answers];
        }
        out.push(...answers);
      }
    }
    return dedupe(out);
  }

  /** What authentication may come to at `now`: one outcome, or two when a refresh may meet the per-`sub` limit. */
  private async authOutcomes(ex: Extracted, now: number, instants: readonly number[]): Promise<AuthOutcome[]> {
    const fail = (code: string, www: Expectation['www'] = 'invalid_token'): AuthOutcome => ({
      ok: false,
      failure: { status: 401, code, www },
    });
    if (!ex.access || !ex.id) {
      if (!ex.access && !ex.id) return [fail('token_missing', ex.refresh ? 'realm|invalid_request' : 'realm')];
      return [fail('token_missing', 'invalid_request')];
    }
    const [va, vi] = await Promise.all([this.verdict(ex.access, 'access', now), this.verdict(ex.id, 'id', now)]);
    if (va.kind === 'invalid' || vi.kind === 'invalid') return [fail('token_invalid')];
    const a = va.claims;
    const i = vi.claims;
    const sameSignIn = !(has(i, 'origin_jti') && has(a, 'origin_jti')) || i.origin_jti === a.origin_jti;
    const paired =
      i.sub === a.sub &&
      i.aud === a.client_id &&
      i.iss === a.iss &&
      sameSignIn &&
      (!has(i, 'at_hash') || i.at_hash === atHashOf(ex.access));
    if (!paired) return [fail('token_mismatch')];
    if (va.kind === 'expired' || vi.kind === 'expired') {
      if (!ex.refresh) return [fail('token_expired')];
      const limited: AuthOutcome[] = this.mayBeRefreshLimited(i.sub as string, instants)
        ? [{ ok: false, failure: { status: 503, code: 'auth_unavailable' } }]
        : [];
      const owner = this.ctx.refreshOwners.get(ex.refresh);
      if (!owner || owner.clientId !== a.client_id) return [fail('refresh_failed'), ...limited];
      if (owner.sub !== i.sub) return [fail('token_mismatch'), ...limited];
      return [{ ok: true, sub: owner.sub, scopes: owner.scopes }, ...limited];
    }
    const scope = typeof a.scope === 'string' ? a.scope.split(' ').filter(Boolean) : [];
    return [{ ok: true, sub: i.sub as string, scopes: scope }];
  }
}

/** Tokens as the contract extracts them from one request (trimmed; empty means absent). */
export interface Extracted {
  access?: string;
  id?: string;
  refresh?: string;
}

export type RouteKind = 'protected' | 'public' | 'scoped-post';

/** `fail`: CSRF applies and the header does not match; `maybe`: it may apply (refresh token alone from a cookie). */
export type CsrfState = 'n/a' | 'pass' | 'fail' | 'maybe';

export interface Expectation {
  status: number;
  code?: string;
  /** 2xx on an identity route: the `sub` the body must name (`null`: anonymous on a public route). */
  sub?: string | null;
  /** 401 challenge: `realm` alone, `invalid_request`, `invalid_token`, or either of the first two. */
  www?: 'realm' | 'invalid_request' | 'invalid_token' | 'realm|invalid_request';
}

type AuthOutcome = { ok: true; sub: string; scopes: readonly string[] } | { ok: false; failure: Expectation };

function dedupe(list: Expectation[]): Expectation[] {
  const seen = new Map<string, Expectation>();
  for (const e of list) seen.set(JSON.stringify(e), e);
  return [...seen.values()];
}

const REALM = 'Bearer realm="cognito"';
const REASON: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' };

/** How the body names the caller on each probe route (test/support/test-app.ts). */
export type SubOf = (body: unknown) => unknown;
export const subOfMe: SubOf = (b) => (b as { sub?: unknown } | null)?.sub;
export const subOfOpen: SubOf = (b) => (b as { user?: unknown } | null)?.user;

/** Whether the answer is exactly one of the expectations; otherwise why not. */
export function judgeAnswer(
  res: WireResponse,
  expected: readonly Expectation[],
  subOf?: SubOf,
): { ok: true; match: Expectation } | { ok: false; why: string } {
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  const reasons: string[] = [];
  for (const e of expected) {
    const why = mismatch(res, json, e, subOf);
    if (!why) return { ok: true, match: e };
    reasons.push(why);
  }
  const got = `${res.status} ${(json as { code?: string } | undefined)?.code ?? ''}`.trim();
  return { ok: false, why: `got ${got}; expected one of ${JSON.stringify(expected)} (${reasons.join('; ')})` };
}

function mismatch(res: WireResponse, json: unknown, e: Expectation, subOf?: SubOf): string | undefined {
  if (res.status !== e.status) return `status ${res.status} != ${e.status}`;
  if (e.code) {
    const b = json as Record<string, unknown> | undefined;
    if (!b || typeof b !== 'object') return 'error body is not JSON';
    const keys = Object.keys(b).sort().join(',');
    if (keys !== 'code,error,message,statusCode') return `error body members ${keys}`;
    if (b.code !== e.code || b.statusCode !== e.status || b.error !== REASON[e.status] || typeof b.message !== 'string') {
      return `code ${String(b.code)} != ${e.code}`;
    }
  }
  if (e.status === 401) {
    const www = res.headers['www-authenticate'];
    const allowed =
      e.www === 'realm'
        ? [REALM]
        : e.www === 'invalid_request'
          ? [`${REALM}, error="invalid_request"`]
          : e.www === 'realm|invalid_request'
            ? [REALM, `${REALM}, error="invalid_request"`]
            : [`${REALM}, error="invalid_token"`];
    if (!allowed.includes(String(www))) return `WWW-Authenticate ${String(www)}`;
  }
  if (e.status === 503 && res.headers['retry-after'] === undefined) return 'no Retry-After';
  if (e.sub !== undefined && subOf) {
    const sub = subOf(json);
    if (sub !== e.sub) return `body names ${JSON.stringify(sub)} not ${JSON.stringify(e.sub)}`;
  }
  return undefined;
}
