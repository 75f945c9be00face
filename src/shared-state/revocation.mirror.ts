import type { CognitoBaseClaims } from '../tokens/token.types.js';

interface UserCutOff {
  /** Tokens with `iat` at or before this (epoch seconds) are revoked. */
  readonly at: number;
  readonly expiresAtMs: number;
}

/**
 * This process's copy of the revocation records, read on every request: two maps, each bounded
 * (past `maxRecords` the record added longest ago goes, which is also the one that expires
 * first, since every record lives the same time), each record dropped once its time is up.
 * Lookups are O(1) and synchronous.
 */
export class RevocationMirror {
  private readonly sessions = new Map<string, number>();
  private readonly users = new Map<string, UserCutOff>();
  private warned = false;

  constructor(
    private readonly maxRecords: number,
    private readonly clock: () => number,
    private readonly onOverflow: () => void,
  ) {}

  /** Records held now, expired ones not yet dropped included. */
  get size(): number {
    return this.sessions.size + this.users.size;
  }

  /** Records a revoked session id (`origin_jti` or `jti`) until `expiresAtMs`. */
  addSession(id: string, expiresAtMs: number): void {
    const known = this.sessions.get(id);
    if (known !== undefined && known >= expiresAtMs) return;
    this.sessions.delete(id);
    if (expiresAtMs <= this.clock()) return;
    this.sessions.set(id, expiresAtMs);
    this.trim(this.sessions, (v) => v);
  }

  /** Records a user's cut-off (epoch seconds) until `expiresAtMs`; a later cut-off already held wins. */
  addUser(sub: string, at: number, expiresAtMs: number): void {
    const known = this.live(sub);
    const record = known && known.at >= at ? { at: known.at, expiresAtMs: Math.max(known.expiresAtMs, expiresAtMs) } : { at, expiresAtMs };
    this.users.delete(sub);
    if (record.expiresAtMs <= this.clock()) return;
    this.users.set(sub, record);
    this.trim(this.users, (v) => v.expiresAtMs);
  }

  /** The live cut-off of `sub`, if any. */
  userCutOff(sub: string): number | undefined {
    return this.live(sub)?.at;
  }

  /** Whether the token's session or user is revoked. A user cut-off with no usable `iat` counts as revoked. */
  has(claims: Pick<CognitoBaseClaims, 'sub' | 'iat' | 'jti' | 'origin_jti'>): boolean {
    if (this.sessionRevoked(claims.origin_jti) || this.sessionRevoked(claims.jti)) return true;
    if (typeof claims.sub !== 'string') return false;
    const cutOff = this.live(claims.sub);
    if (!cutOff) return false;
    return typeof claims.iat !== 'number' || !(claims.iat > cutOff.at);
  }

  private sessionRevoked(id: unknown): boolean {
    if (typeof id !== 'string' || this.sessions.size === 0) return false;
    const expiresAtMs = this.sessions.get(id);
    if (expiresAtMs === undefined) return false;
    if (expiresAtMs > this.clock()) return true;
    this.sessions.delete(id);
    return false;
  }

  private live(sub: string): UserCutOff | undefined {
    const record = this.users.get(sub);
    if (record && record.expiresAtMs <= this.clock()) {
      this.users.delete(sub);
      return undefined;
    }
    return record;
  }

  /** Drops expired records from the front (the oldest), then the oldest live ones past the bound. */
  private trim<V>(map: Map<string, V>, expiry: (value: V) => number): void {
    const now = this.clock();
    for (const [key, value] of map) {
      if (expiry(value) > now) break;
      map.delete(key);
    }
    while (map.size > this.maxRecords) {
      map.delete(map.keys().next().value as string);
      if (!this.warned) {
        this.warned = true;
        this.onOverflow();
      }
    }
  }
}
