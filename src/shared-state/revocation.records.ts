import type { StateCipher } from './state-cipher.js';

/** The store channel revocations are announced on. */
export const REVOCATION_CHANNEL = 'revocations';
/** Every revocation record's key starts with this. */
export const REVOCATION_KEY_PREFIX = 'revoked:';

/** One record: a revoked session, or a user's cut-off (epoch seconds). */
export type RevocationRecord =
  | { readonly kind: 'session'; readonly id: string; readonly expiresAtMs: number }
  | { readonly kind: 'user'; readonly sub: string; readonly at: number; readonly expiresAtMs: number };

const MAX_ID_LENGTH = 512;

/** The first argument that is a usable session id or sub (a non-empty string of at most 512 characters). */
export function firstId(...ids: readonly unknown[]): string | undefined {
  return ids.find((id): id is string => typeof id === 'string' && id !== '' && id.length <= MAX_ID_LENGTH);
}

/**
 * How revocation records are written to a store: keyed by a hash of the session id or sub
 * (`revoked:session:<hash>`, `revoked:user:<hash>`), the record itself sealed, on the key in
 * the store and on the channel in announcements. Nothing of a token is readable in the store.
 */
export class RevocationCodec {
  constructor(private readonly cipher: StateCipher) {}

  /** The store key of a record. */
  keyOf(record: RevocationRecord): string {
    return record.kind === 'session'
      ? `${REVOCATION_KEY_PREFIX}session:${this.cipher.hash('session', record.id)}`
      : `${REVOCATION_KEY_PREFIX}user:${this.cipher.hash('user', record.sub)}`;
  }

  /** The sealed record, for the store (`context`: its key) or the channel. */
  seal(record: RevocationRecord, context: string): string {
    return this.cipher.seal(JSON.stringify(record), context);
  }

  /** The record of a sealed value, or `undefined` when it does not open or is not a well-formed record. */
  open(sealed: string, context: string): RevocationRecord | undefined {
    const json = this.cipher.open(sealed, context);
    return json === undefined ? undefined : parseRecord(json);
  }
}

/** A record from JSON; anything that is not a well-formed record is `undefined`. */
export function parseRecord(raw: string): RevocationRecord | undefined {
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null) return undefined;
  const r = m as Record<string, unknown>;
  if (typeof r.expiresAtMs !== 'number' || !Number.isFinite(r.expiresAtMs)) return undefined;
  if (r.kind === 'session' && firstId(r.id) !== undefined) {
    return { kind: 'session', id: r.id as string, expiresAtMs: r.expiresAtMs };
  }
  if (r.kind === 'user' && firstId(r.sub) !== undefined && typeof r.at === 'number' && Number.isFinite(r.at)) {
    return { kind: 'user', sub: r.sub as string, at: r.at, expiresAtMs: r.expiresAtMs };
  }
  return undefined;
}
