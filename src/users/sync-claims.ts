import type { VerifiedTokens } from '../tokens/token.types.js';

/**
 * Claims that identify a person only once Cognito has verified them, with the claim saying so.
 * Cognito lets a user set an unverified email or phone number on their own account, so an
 * unverified value proves nothing about who is calling.
 */
export const VERIFIED_BY: Readonly<Record<string, string>> = Object.freeze({
  email: 'email_verified',
  phone_number: 'phone_number_verified',
});

/** What reading one claim for user sync gave. */
export type ClaimRead =
  | { readonly status: 'present'; readonly value: unknown }
  | { readonly status: 'absent' }
  /** Present, but its `*_verified` claim is not true: it must not be used. */
  | { readonly status: 'unverified' };

/**
 * The claims user sync reads for one request: the ID token's, or the access token's when there
 * is no ID token.
 */
export class SyncClaims {
  private constructor(
    private readonly tokens: VerifiedTokens,
    /** The claims mapped fields are read from. */
    readonly primary: Readonly<Record<string, unknown>>,
  ) {}

  /** The claims of the tokens, or `undefined` when no verified token carries any. */
  static of(tokens: VerifiedTokens): SyncClaims | undefined {
    const primary = tokens.id ?? tokens.access;
    return primary ? new SyncClaims(tokens, primary) : undefined;
  }

  /** The caller's Cognito `sub`. */
  get sub(): unknown {
    return this.primary.sub;
  }

  /**
   * One claim as user sync may use it. `username` is the Cognito username: `cognito:username`
   * in the ID token, `username` in the access token. `email` and `phone_number` count only
   * when `email_verified` / `phone_number_verified` is `true` or the string `"true"` (federated
   * identity providers send strings). A `null` claim is absent.
   */
  read(name: string): ClaimRead {
    const value = name === 'username' ? this.username() : own(this.primary, name);
    if (value === undefined || value === null) return { status: 'absent' };
    const flag = VERIFIED_BY[name];
    if (flag !== undefined && !isVerified(own(this.primary, flag))) return { status: 'unverified' };
    return { status: 'present', value };
  }

  private username(): unknown {
    return own(this.tokens.id, 'cognito:username') ?? own(this.tokens.access, 'username');
  }
}

/** Whether a `*_verified` claim says verified: `true`, or the string `"true"`. */
export function isVerified(flag: unknown): boolean {
  return flag === true || flag === 'true';
}

function own(claims: Readonly<Record<string, unknown>> | undefined, name: string): unknown {
  return claims && Object.prototype.hasOwnProperty.call(claims, name) ? claims[name] : undefined;
}
